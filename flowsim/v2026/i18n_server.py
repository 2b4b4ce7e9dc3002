"""Localised server texts of flow2026 (refusals, tile failures, the 404 page) and the page
language chosen from `hl` / `Accept-Language`. UI labels are the page's (static2026/i18n.js)."""

from __future__ import annotations

from datetime import date

from flowsim import texts

LANGS = ("en", "vi", "ko")

MINOR = "We do not allow uploads of minors at this time"
# flowsim's own wording: the real refusal of close-up photoreal faces is not quoted anywhere.
FACE = "This image contains a photorealistic face and can't be used"

# key -> (en, vi, ko). English texts are the shared ones of flowsim/texts.py.
TEXTS: dict[str, tuple[str, str, str]] = {
    "unusual_activity": (
        texts.UNUSUAL_ACTIVITY,
        "Chúng tôi nhận thấy một số hoạt động bất thường. Vui lòng thử lại sau.",
        "비정상적인 활동이 감지되었습니다. 나중에 다시 시도해 주세요."),
    "too_quickly": (
        texts.TOO_QUICKLY,
        "Bạn đang yêu cầu tạo quá nhanh. Vui lòng đợi một lát rồi thử lại.",
        "생성 요청이 너무 빠릅니다. 잠시 후 다시 시도해 주세요."),
    "too_many": (
        texts.SLOTS_FULL,
        "Bạn có quá nhiều lượt tạo đang diễn ra. Vui lòng đợi một số lượt hoàn tất rồi thử lại.",
        "진행 중인 생성이 너무 많습니다. 일부가 완료될 때까지 기다린 후 다시 시도해 주세요."),
    "insufficient_credits": (
        texts.INSUFFICIENT_CREDITS,
        "Bạn không có đủ tín dụng AI cho lượt tạo này.",
        "이 생성에 필요한 AI 크레딧이 부족합니다."),
    "high_demand": (
        texts.HIGH_DEMAND,
        "Flow hiện đang có nhu cầu cao ảnh hưởng đến việc tạo video. "
        "Có thể cần thử lại yêu cầu sau.",
        "현재 Flow 사용량이 많아 동영상 생성에 영향을 주고 있습니다. "
        "나중에 다시 시도해야 할 수 있습니다."),
    "something_wrong": (texts.SOMETHING_WRONG, "Đã xảy ra lỗi", "문제가 발생했습니다"),
    "image_failed": (
        texts.IMAGE_FAILED,
        "Rất tiếc, không thể tạo hình ảnh này.",
        "죄송합니다. 이 이미지를 생성하지 못했습니다."),
    "policy": (
        texts.POLICY,
        "Nội dung tạo này có thể vi phạm chính sách của chúng tôi. "
        "Vui lòng thử một câu lệnh khác hoặc gửi ý kiến phản hồi",
        "이 생성물은 Google 정책을 위반할 수 있습니다. 다른 프롬프트를 사용하거나 의견을 보내 주세요"),
    "audio_failed": (texts.AUDIO_FAILED, "Không tạo được âm thanh", "오디오 생성에 실패했습니다"),
    "minor": (
        MINOR,
        "Hiện chúng tôi không cho phép tải lên hình ảnh trẻ vị thành niên",
        "현재 미성년자 이미지는 업로드할 수 없습니다"),
    "face": (
        FACE,
        "Hình ảnh này chứa khuôn mặt chân thực và không thể sử dụng",
        "이 이미지에는 사실적인 얼굴이 포함되어 있어 사용할 수 없습니다"),
    "upload_consent_required": (
        "Please confirm that you have the rights to use this image.",
        "Vui lòng xác nhận rằng bạn có quyền sử dụng hình ảnh này.",
        "이 이미지를 사용할 권한이 있음을 확인해 주세요."),
    "too_large": (
        "This file is too large to upload.",
        "Tệp này quá lớn để tải lên.",
        "파일이 너무 커서 업로드할 수 없습니다."),
    "not_an_image": (
        "This file type is not supported.",
        "Loại tệp này không được hỗ trợ.",
        "지원되지 않는 파일 형식입니다."),
    "not_on_plan": (
        texts.UPGRADE_4K,
        "Nâng cấp lên 4K có sẵn với Google AI Ultra. Hãy nâng cấp để tiếp tục.",
        "4K 업스케일링은 Google AI Ultra에서 사용할 수 있습니다. 계속하려면 업그레이드하세요."),
    # flowsim's wording for the status refusals of the real wire (docs/flowsim-2026-contract.md).
    "model_not_on_plan": (
        "This model isn't available on your plan.",
        "Mô hình này không có trong gói của bạn.",
        "이 모델은 현재 요금제에서 사용할 수 없습니다."),
    "invalid_request": (
        "This request can't be completed. Check the model and the images and try again.",
        "Không thể hoàn tất yêu cầu này. Hãy kiểm tra mô hình và hình ảnh rồi thử lại.",
        "이 요청을 완료할 수 없습니다. 모델과 이미지를 확인한 후 다시 시도하세요."),
    # December build (flowsim's wording, ASSUMPTION): a retired model's dated refusal, a
    # duration the plan lacks, the poll's refusal frame.
    "model_retired": (
        "{model} was retired on {date}. Choose another model.",
        "{model} đã ngừng hoạt động vào {date}. Hãy chọn một mô hình khác.",
        "{model} 모델은 {date}에 지원이 종료되었습니다. 다른 모델을 선택하세요."),
    "duration_not_on_plan": (
        "Videos longer than {n} seconds need Google AI Pro or Ultra.",
        "Video dài hơn {n} giây cần có Google AI Pro hoặc Ultra.",
        "{n}초보다 긴 동영상을 만들려면 Google AI Pro 또는 Ultra가 필요합니다."),
    "poll_throttled": (
        "Too many requests. Please try again in a moment.",
        "Quá nhiều yêu cầu. Vui lòng thử lại sau giây lát.",
        "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
    "not_found_project": (
        "This project doesn't exist or you don't have access to it.",
        "Dự án này không tồn tại hoặc bạn không có quyền truy cập.",
        "이 프로젝트가 존재하지 않거나 액세스 권한이 없습니다."),
}
_BY_ENGLISH = {en: key for key, (en, _vi, _ko) in TEXTS.items()}


def text(key: str, lang: str, **params: object) -> str:
    """The server text `key` in `lang` (English when the language is not supported), its
    `{name}` placeholders filled from `params`."""
    out = TEXTS[key][LANGS.index(lang) if lang in LANGS else 0]
    return out.format(**params) if params else out


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(d: date, lang: str) -> str:
    """A day as the page's language writes it: `7 Dec 2026`, `7 thg 12, 2026`, `2026년 12월 7일`."""
    if lang == "vi":
        return f"{d.day} thg {d.month}, {d.year}"
    if lang == "ko":
        return f"{d.year}년 {d.month}월 {d.day}일"
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def translate(english: str | None, lang: str) -> str | None:
    """A stored English failure text in `lang`; texts flowsim does not know stay as they are."""
    if english is None or english not in _BY_ENGLISH:
        return english
    return text(_BY_ENGLISH[english], lang)


def pick_lang(hl: str | None, accept_language: str | None) -> str:
    """`hl` wins, else the best supported tag of Accept-Language (by q), else English."""
    if hl:
        base = hl.split("-")[0].strip().lower()
        if base in LANGS:
            return base
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, position, tag.split("-")[0].strip().lower()))
    for neg_q, _pos, base in sorted(ranked):
        if base in LANGS and neg_q < 0:
            return base
    return "en"
