// UI labels of the flow2026 page in English, Vietnamese and Korean. Tags, classes and icon
// ligatures are never translated; only aria-labels and visible texts are (FLOW_2026 §1).
// Korean and Vietnamese labels that public tools quote from the real page are used as quoted
// (tests/flowsim/public_selectors.py).
const L = {
  new_project: ["New project", "Dự án mới", "새 프로젝트"],
  open_project: ["Open project", "Mở dự án", "프로젝트 열기"],
  edit_project_title: ["Edit project title", "Chỉnh sửa tiêu đề dự án", "프로젝트 제목 수정"],
  delete_project: ["Delete project", "Xóa dự án", "프로젝트 삭제"],
  projects: ["Your projects", "Dự án của bạn", "내 프로젝트"],
  account_details: ["Account details", "Thông tin tài khoản", "계정 세부정보"],
  credits_link: ["{n} Google Flow credits", "{n} tín dụng Google Flow", "Google Flow 크레딧 {n}개"],
  close_account_panel: ["Close account panel", "Đóng bảng tài khoản", "계정 패널 닫기"],
  sign_out: ["Sign out", "Đăng xuất", "로그아웃"],
  manage_account: ["Manage your Google Account", "Quản lý Tài khoản Google", "Google 계정 관리"],
  agent_hi: ["Hi {name}, what would you like to create?", "Chào {name}, bạn muốn tạo gì?", "{name}님, 무엇을 만들고 싶으세요?"],
  agent_panel: ["Flow agent", "Tác nhân Flow", "Flow 에이전트"],
  close: ["Close", "Đóng", "닫기"],
  changelog_title: ["Flow is now on iOS", "Flow hiện đã có trên iOS", "이제 iOS에서 Flow를 사용할 수 있습니다"],
  changelog_body: ["Create on the go with the Flow app for iPhone and iPad.", "Sáng tạo mọi lúc mọi nơi với ứng dụng Flow cho iPhone và iPad.", "iPhone 및 iPad용 Flow 앱으로 어디서나 만들어 보세요."],
  get_started: ["Get started", "Bắt đầu", "시작하기"],
  cookie_text: ["Google uses cookies to deliver its services, to personalize ads and to analyze traffic.", "Google sử dụng cookie để cung cấp dịch vụ, cá nhân hóa quảng cáo và phân tích lưu lượng truy cập.", "Google은 서비스 제공, 광고 맞춤설정, 트래픽 분석을 위해 쿠키를 사용합니다."],
  agree: ["Agree", "Đồng ý", "동의"],
  ok_got_it: ["OK, got it", "OK, tôi hiểu", "확인"],
  no_thanks: ["No thanks", "Không, cảm ơn", "아니요"],
  rights_title: ["Use images you have rights to", "Sử dụng hình ảnh mà bạn có quyền", "권리가 있는 이미지를 사용하세요"],
  rights_text: ["By uploading, you confirm that you have the necessary rights to use this image and that it follows our policies.", "Khi tải lên, bạn xác nhận rằng bạn có các quyền cần thiết để sử dụng hình ảnh này và hình ảnh tuân thủ chính sách của chúng tôi.", "업로드하면 이 이미지를 사용할 권리가 있으며 정책을 준수함을 확인하는 것입니다."],
  cancel: ["Cancel", "Hủy", "취소"],
  i_agree: ["I agree", "Tôi đồng ý", "동의합니다"],
  home: ["Home", "Trang chủ", "홈"],
  more_project: ["More options for the project", "Tùy chọn khác cho dự án", "프로젝트 옵션 더보기"],
  search: ["Search", "Tìm kiếm", "검색"],
  filter: ["Filtering and sorting options", "Tùy chọn lọc và sắp xếp", "필터링 및 정렬 옵션"],
  add_media: ["Add media menu", "Trình đơn thêm nội dung nghe nhìn", "미디어 추가 메뉴"],
  help: ["Product help", "Trợ giúp về sản phẩm", "제품 도움말"],
  tile_grid: ["Tile grid settings", "Cài đặt lưới ô", "타일 그리드 설정"],
  more: ["More options", "Tùy chọn khác", "옵션 더보기"],
  project_title: ["Project title", "Tiêu đề dự án", "프로젝트 제목"],
  project_nav: ["Project navigation", "Điều hướng dự án", "프로젝트 탐색"],
  all_media: ["All media", "Tất cả nội dung", "모든 미디어"],
  images: ["Images", "Hình ảnh", "이미지"],
  videos: ["Videos", "Video", "동영상"],
  characters: ["Characters", "Nhân vật", "캐릭터"],
  scenes: ["Scenes", "Cảnh", "장면"],
  uploads: ["Uploads", "Tệp tải lên", "업로드"],
  tools: ["Tools", "Công cụ", "도구"],
  trash: ["Trash", "Thùng rác", "휴지통"],
  upload: ["Upload", "Tải lên", "업로드"],
  new_collection: ["New collection", "Bộ sưu tập mới", "새 컬렉션"],
  create_character: ["Create character", "Tạo nhân vật", "캐릭터 만들기"],
  new_scene: ["New scene", "Cảnh mới", "새 장면"],
  placeholder: ["What do you want to create?", "Bạn muốn tạo gì?", "무엇을 만들고 싶으신가요?"],
  agent_placeholder: ["Describe your idea and the agent will plan it", "Mô tả ý tưởng của bạn và tác nhân sẽ lên kế hoạch", "아이디어를 설명하면 에이전트가 계획합니다"],
  add_ingredients: ["Add ingredients to the prompt box", "Thêm thành phần vào hộp câu lệnh", "프롬프트 상자에 소재 추가"],
  agent: ["Agent", "Tác nhân", "에이전트"],
  settings_trigger: ["Settings trigger", "Trình kích hoạt cài đặt", "설정 트리거"],
  start_generation: ["Start generation", "Bắt đầu tạo", "생성 시작"],
  stop: ["Stop", "Dừng", "중지"],
  clear_prompt: ["Clear prompt", "Xóa câu lệnh", "프롬프트 지우기"],
  // Two public tools read this aria-label as "Insufficient credits warning" (pt: "Alerta de
  // créditos insuficientes").
  insufficient: ["Insufficient credits warning", "Cảnh báo không đủ tín dụng", "크레딧 부족 경고"],
  insufficient_snack: ["You don't have enough credits for this generation.", "Bạn không có đủ tín dụng cho lượt tạo này.", "이 생성에 필요한 크레딧이 부족합니다."],
  image: ["Image", "Hình ảnh", "이미지"],
  video: ["Video", "Video", "동영상"],
  frames: ["Frames", "Khung hình", "프레임"],
  ingredients: ["Ingredients", "Thành phần", "소재"],
  g_media: ["Media type", "Loại nội dung", "미디어 유형"],
  g_mode: ["Input mode", "Chế độ nhập", "입력 모드"],
  g_aspect: ["Aspect ratio", "Tỷ lệ khung hình", "가로세로 비율"],
  g_resolution: ["Resolution", "Độ phân giải", "해상도"],
  g_duration: ["Duration", "Thời lượng", "길이"],
  g_count: ["Outputs per prompt", "Số đầu ra mỗi câu lệnh", "프롬프트당 출력 수"],
  model: ["Model", "Mô hình", "모델"],
  select_model: ["Select model family", "Chọn dòng mô hình", "모델 제품군 선택"],
  credits_cost: ["{n} credits", "{n} tín dụng", "{n} 크레딧"],
  seconds: ["{n}s", "{n} giây", "{n}초"],
  start: ["Start", "Bắt đầu", "시작"],
  end: ["End", "Kết thúc", "끝"],
  swap: ["Swap first and last frames", "Hoán đổi khung hình đầu và cuối", "첫 프레임과 마지막 프레임 바꾸기"],
  remove: ["Remove", "Xóa", "삭제"],
  start_frame: ["Start frame", "Khung hình đầu", "시작 프레임"],
  end_frame: ["End frame", "Khung hình cuối", "종료 프레임"],
  select_frame: ["Select a frame image", "Chọn hình ảnh khung hình", "프레임 이미지 선택"],
  select_ingredient: ["Add an ingredient", "Thêm thành phần", "소재 추가"],
  tab_all: ["All", "Tất cả", "전체"],
  tab_images: ["Images", "Hình ảnh", "이미지"],
  tab_videos: ["Videos", "Video", "동영상"],
  tab_voices: ["Voices", "Giọng nói", "음성"],
  tab_characters: ["Characters", "Nhân vật", "캐릭터"],
  tab_avatars: ["Avatars", "Hình đại diện", "아바타"],
  tab_uploads: ["Uploads", "Tệp tải lên", "업로드"],
  empty_project: ["Start creating: describe a video below", "Bắt đầu sáng tạo: mô tả video ở bên dưới", "아래에 동영상을 설명하여 시작하세요"],
  search_assets: ["Search assets", "Tìm kiếm tài sản", "애셋 검색"],
  asset_list: ["Asset list", "Danh sách tài sản", "애셋 목록"],
  uploading: ["Uploading…", "Đang tải lên…", "업로드 중…"],
  add_to_prompt: ["Add to prompt", "Thêm vào câu lệnh", "프롬프트에 추가"],
  upload_media: ["Upload media", "Tải nội dung lên", "미디어 업로드"],
  no_assets: ["No assets yet", "Chưa có tài sản nào", "아직 애셋이 없습니다"],
  thumb_alt: ["Generated video thumbnail", "Hình thu nhỏ của video đã tạo", "생성된 동영상 썸네일"],
  favorite: ["Favorite", "Yêu thích", "즐겨찾기"],
  reuse_prompt: ["Reuse prompt", "Dùng lại câu lệnh", "프롬프트 재사용"],
  failed: ["Failed", "Không thành công", "실패"],
  not_charged: ["You have not been charged for this generation.", "Bạn không bị tính phí cho lượt tạo này.", "이 생성에 대해서는 요금이 청구되지 않았습니다."],
  retry: ["Retry", "Thử lại", "다시 시도"],
  delete: ["Delete", "Xóa", "삭제"],
  queued: ["Queued", "Đang chờ", "대기 중"],
  download: ["Download", "Tải xuống", "다운로드"],
  gif: ["270p Animated GIF", "270p GIF động", "270p 애니메이션 GIF"],
  s720: ["720p Original size", "720p Kích thước gốc", "720p 원본 크기"],
  s1080: ["1080p Upscaled", "1080p Đã nâng cấp", "1080p 업스케일"],
  s4k: ["4K Upscaled", "4K Đã nâng cấp", "4K 업스케일"],
  upscaling: ["Upscaling your video…", "Đang nâng cấp video…", "동영상 업스케일 중…"],
  download_media: ["Download media", "Tải nội dung xuống", "미디어 다운로드"],
  edit_placeholder: ["Describe how to edit this video…", "Mô tả cách chỉnh sửa video này…", "이 동영상을 편집할 방법을 설명하세요…"],
  extend: ["Extend (Veo 3.1 - Lite)", "Kéo dài (Veo 3.1 - Lite)", "연장 (Veo 3.1 - Lite)"],
  back: ["Back", "Quay lại", "뒤로"],
  scene_title: ["Scene", "Cảnh", "장면"],
  scene_empty: ["Add clips to your scene", "Thêm đoạn video vào cảnh", "장면에 클립을 추가하세요"],
  character_name: ["Character name", "Tên nhân vật", "캐릭터 이름"],
  character_name_needed: ["Give the character a name.", "Hãy đặt tên cho nhân vật.", "캐릭터 이름을 입력하세요."],
  no_characters: ["No characters yet", "Chưa có nhân vật nào", "아직 캐릭터가 없습니다"],
  tools_empty: ["No tools in this project yet", "Dự án này chưa có công cụ nào", "이 프로젝트에는 아직 도구가 없습니다"],
  ingredient: ["Ingredient", "Thành phần", "소재"],
  too_many_ingredients: ["You can add up to {n} ingredients.", "Bạn có thể thêm tối đa {n} thành phần.", "소재는 최대 {n}개까지 추가할 수 있습니다."],
  end_frame_limit: ["End frames work with videos of {n}s or less", "Khung hình cuối chỉ dùng được với video dài tối đa {n} giây", "종료 프레임은 {n}초 이하 동영상에서만 사용할 수 있습니다"],
  about_title: ["Flow: an AI filmmaking tool", "Flow: công cụ làm phim bằng AI", "Flow: AI 영화 제작 도구"],
  sign_in: ["Sign in", "Đăng nhập", "로그인"],
  not_simulated: ["This action is not available here.", "Thao tác này không có ở đây.", "여기서는 사용할 수 없는 작업입니다."],
  dismiss: ["Dismiss", "Bỏ qua", "닫기"],
  generic_error: ["Something went wrong.", "Đã xảy ra lỗi.", "문제가 발생했습니다."],
};

const LANGS = ["en", "vi", "ko"];

/** The label `key` in `lang` with `{name}` placeholders filled from `params`. */
export function label(lang, key, params = {}) {
  const row = L[key];
  if (!row) throw new Error(`no label ${key}`);
  const idx = Math.max(0, LANGS.indexOf(lang));
  return row[idx].replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

export const LABEL_KEYS = Object.keys(L);

function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

let reverse = null;

/**
 * The English of a visible text of the `lang` page, as Chrome's translator would render it
 * (configure(translate_bar)): a label, a label with numbers (`8 giây` → `8s`), or parts joined by
 * ` · `; text the page does not own (a prompt, a title) comes back as it was.
 */
export function englishOf(lang, text) {
  const idx = LANGS.indexOf(lang);
  if (idx <= 0) return text;
  if (!reverse || reverse.lang !== lang) {
    const exact = new Map();
    const patterns = [];
    // A text that is the same in English stays itself (vi "Video" is "Video", not "Videos").
    for (const row of Object.values(L)) if (row[idx] === row[0]) exact.set(row[0], row[0]);
    for (const row of Object.values(L)) {
      if (row[idx] === row[0]) continue;
      if (exact.has(row[idx])) continue; // the first label with this text wins
      if (/\{\w+\}/.test(row[idx])) {
        const names = [];
        const re = new RegExp(`^${escapeRe(row[idx]).replace(/\\\{(\w+)\\\}/g, (_, n) => { names.push(n); return "(.+?)"; })}$`);
        patterns.push({ re, names, en: row[0] });
      } else exact.set(row[idx], row[0]);
    }
    reverse = { lang, exact, patterns };
  }
  const one = (part) => {
    const core = part.trim();
    if (!core) return part;
    const lead = part.slice(0, part.indexOf(core));
    const tail = part.slice(part.indexOf(core) + core.length);
    if (reverse.exact.has(core)) return lead + reverse.exact.get(core) + tail;
    for (const { re, names, en } of reverse.patterns) {
      const m = core.match(re);
      if (m) return lead + en.replace(/\{(\w+)\}/g, (_, n) => m[1 + names.indexOf(n)] ?? "") + tail;
    }
    return part;
  };
  return text.includes(" · ") ? text.split(" · ").map(one).join(" · ") : one(text);
}
