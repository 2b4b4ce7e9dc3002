"""Use cases shared by the Telegram bot and the CLI (`batches.BatchService`,
`account.AccountService`, users, dialogs, sessions). Import the modules directly."""
