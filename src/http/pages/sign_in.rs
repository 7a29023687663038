//! Signing in to the web app and out of it, as pages with plain forms:
//! - `GET /sign-in`: ask for a link by email, or (operators) paste an access token;
//! - `GET /sign-in?magic_token=`: the emailed link asks "Sign in as Ada?" and signs in only
//!   when its button is pressed (a mail scanner opening the link must not use it up);
//! - `POST /sign-out`: ends the session on the server, whatever device holds the cookie.
//!
//! Signing in opens a cookie session (see `http::session`) and goes on to `next`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, safe_next, same_origin, see_other, Chrome, PageError, Viewer};
use crate::domain::clock::now;
use crate::domain::email::Email;
use crate::error::AppError;
use crate::http::{session, State};
use crate::services::{sign_in, web_sessions};
use crate::store::db;

#[derive(Template, Default)]
#[template(path = "pages/sign_in.html")]
struct SignInPage {
    chrome: Option<Chrome>,
    next: String,
    notice: Option<String>,
    email: String,
    email_error: Option<String>,
    token_error: Option<String>,
    /// The link's token and whom it signs in, when opened from the email.
    confirm: Option<(String, String)>,
    link_error: Option<String>,
    /// `auth.log_sign_in_links`: the demo says where its links are.
    links_in_log: bool,
    /// "Sign in with <provider>", when OIDC is configured.
    oidc_label: Option<String>,
}

impl SignInPage {
    fn new(state: &State, next: &str) -> SignInPage {
        SignInPage {
            next: next.to_string(),
            links_in_log: state.settings.auth.log_sign_in_links,
            oidc_label: state.oidc.as_ref().map(|_| state.settings.oidc.button_label.clone()),
            ..SignInPage::default()
        }
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    magic_token: Option<String>,
    next: Option<String>,
    signed_out: Option<String>,
}

pub async fn page(state: State, req: HttpRequest, q: web::Query<SignInQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let next = safe_next(q.next.as_deref());
    let mut page = SignInPage::new(&state, &next);
    if let Some(token) = q.magic_token.filter(|t| !t.trim().is_empty()) {
        let lookup = token.clone();
        let holder = db::run(&state.pool, move |conn| sign_in::link_holder(conn, &lookup, now())).await?;
        match holder {
            Some(name) => page.confirm = Some((token, name)),
            None => page.link_error = Some(LINK_USED.into()),
        }
        return render(StatusCode::OK, &page);
    }
    if q.signed_out.is_some() {
        page.notice = Some("You have signed out.".into());
    } else if signed_in(&state, &req).await {
        return Ok(see_other(&next));
    }
    render(StatusCode::OK, &page)
}

const LINK_USED: &str = "This sign-in link has already been used or has expired (links work once, for 15 minutes). Ask for a new one below.";

async fn signed_in(state: &State, req: &HttpRequest) -> bool {
    match session::secret(req) {
        Some(secret) => matches!(session::email_of(state, &secret).await, Ok(Some(_))),
        None => false,
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    #[serde(default)]
    next: String,
}

/// Emails a link (the same answer whoever the address belongs to).
pub async fn ask_for_link(
    state: State,
    req: HttpRequest,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, PageError> {
    refuse_other_sites(&req)?;
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    let mut page = SignInPage::new(&state, &next);
    page.email = form.email.trim().to_string();
    let settings = state.settings.clone();
    let (email, return_to) = (form.email.clone(), next.clone());
    let asked = db::run(&state.pool, move |conn| {
        let cfg = sign_in::SignInConfig::new(&settings, Some(&return_to));
        sign_in::request_link(conn, &cfg, &email, now())
    })
    .await;
    match asked {
        Ok(()) => {
            page.notice = Some(format!(
                "Check your inbox: if {} is in your company's directory, a sign-in link is on its way. It works once, for 15 minutes.",
                page.email
            ));
            render(StatusCode::OK, &page)
        }
        Err(AppError::Validation { .. }) => {
            page.email_error = Some("Enter your work email address, like ada@company.com.".into());
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(AppError::TooManyRequests { .. }) => {
            page.email_error = Some(format!(
                "That address has asked for {} links in the last hour. Use the newest email, or try again later.",
                state.settings.auth.magic_links_per_hour
            ));
            render(StatusCode::TOO_MANY_REQUESTS, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    magic_token: String,
    #[serde(default)]
    next: String,
}

/// The emailed link's button: uses the link up and signs in.
pub async fn use_link(state: State, req: HttpRequest, form: web::Form<LinkForm>) -> Result<HttpResponse, PageError> {
    refuse_other_sites(&req)?;
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    let token = form.magic_token;
    let used = db::run(&state.pool, move |conn| sign_in::exchange(conn, &token, now())).await;
    match used {
        Ok(employee) => {
            let email = Email::parse(&employee.email).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            open_session(&state, email, &next).await
        }
        Err(AppError::Unauthorized { .. } | AppError::Validation { .. }) => {
            let mut page = SignInPage::new(&state, &next);
            page.link_error = Some(LINK_USED.into());
            render(StatusCode::UNAUTHORIZED, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    access_token: String,
    #[serde(default)]
    next: String,
}

/// Operators: sign in with an access token (from `champion token` or an identity provider).
pub async fn use_token(state: State, req: HttpRequest, form: web::Form<TokenForm>) -> Result<HttpResponse, PageError> {
    refuse_other_sites(&req)?;
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    let refused = |why: String| {
        let mut page = SignInPage::new(&state, &next);
        page.token_error = Some(why);
        render(StatusCode::UNAUTHORIZED, &page)
    };
    let token = form.access_token.trim();
    if token.is_empty() {
        return refused("Paste the token first.".into());
    }
    let email = match state.keys.verify(token) {
        Ok((_claims, email)) => email,
        Err(e) => return refused(token_problem(e.code)),
    };
    let lookup = email.to_string();
    let employee = db::run(&state.pool, move |conn| {
        Ok(crate::store::employees::find_by_email(conn, &lookup)?)
    })
    .await?;
    let known = employee.as_ref().is_some_and(|e| e.active) || state.is_configured_admin(&email);
    if !known {
        return refused(format!(
            "This token is for {email}, who is not an active employee in the directory. Ask an admin to add them."
        ));
    }
    open_session(&state, email, &next).await
}

/// A pasted token's problem in words (it is not a session that ended: none began).
fn token_problem(code: &str) -> String {
    match code {
        "token_expired" => "This token has expired. Make a new one (champion token --email you@company.com) and paste that.",
        _ => "This is not a token this service issued, or it was cut short when copied. Copy the whole token and paste it again.",
    }
    .into()
}

async fn open_session(state: &State, email: Email, next: &str) -> Result<HttpResponse, PageError> {
    let days = state.settings.auth.session_days;
    let secret = db::run(&state.pool, move |conn| web_sessions::open(conn, &email, now(), days)).await?;
    let mut res = see_other(next);
    res.add_cookie(&session::cookie(state, &secret))
        .map_err(|e| AppError::internal(anyhow::anyhow!("session cookie: {e}")))?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf_token: String,
}

pub async fn sign_out(
    state: State,
    req: HttpRequest,
    viewer: Viewer,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&req, &form.csrf_token)?;
    let secret = viewer.secret().to_string();
    db::run(&state.pool, move |conn| web_sessions::close(conn, &secret)).await?;
    let mut res = see_other("/sign-in?signed_out=1");
    res.add_cookie(&session::removal(&state))
        .map_err(|e| AppError::internal(anyhow::anyhow!("session cookie: {e}")))?;
    Ok(res)
}

/// Signing in from another site's form (login CSRF) is refused.
fn refuse_other_sites(req: &HttpRequest) -> Result<(), PageError> {
    if same_origin(req) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// The cookie that ties a sign-in begun here to the browser the provider sends back.
const OIDC_COOKIE: &str = "champion_oidc";

fn oidc_cookie(state: &State, value: &str) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(OIDC_COOKIE, value.to_string())
        .path("/auth/oidc")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(state.settings.server.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::minutes(
            crate::services::oidc_sign_in::VALID_MINUTES,
        ))
        .finish()
}

fn redirect_uri(state: &State) -> String {
    format!(
        "{}/auth/oidc/callback",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

/// The sign-in page again, saying in words why signing in with the provider did not work.
fn oidc_refused(state: &State, status: StatusCode, why: impl Into<String>) -> Result<HttpResponse, PageError> {
    let mut page = SignInPage::new(state, "/");
    page.link_error = Some(why.into());
    let mut res = render(status, &page)?;
    forget_oidc_login(state, &mut res);
    Ok(res)
}

/// The sign-in begun with the provider is over, either way: its cookie goes.
fn forget_oidc_login(state: &State, res: &mut HttpResponse) {
    let mut gone = oidc_cookie(state, "");
    gone.make_removal();
    let _ = res.add_cookie(&gone);
}

#[derive(Deserialize)]
pub struct OidcLoginQuery {
    next: Option<String>,
}

/// `GET /auth/oidc/login`: off to the provider (code flow, PKCE S256, state and nonce).
pub async fn oidc_login(state: State, q: web::Query<OidcLoginQuery>) -> Result<HttpResponse, PageError> {
    let Some(provider) = state.oidc.clone() else {
        return Err(PageError::NotFound);
    };
    let Some(found) = provider.current() else {
        return oidc_refused(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "The company's sign-in service is not answering just now. Try again in a minute, or sign in with an emailed link.",
        );
    };
    // 256 random bits each, base64url: 43 characters, as PKCE asks of a verifier.
    let random = || crate::services::secrets::random_token("");
    let row = crate::store::oidc_logins::OidcLoginRow {
        state: random(),
        nonce: random(),
        verifier: random(),
        next: safe_next(q.next.as_deref()),
        created_at: now(),
    };
    let url = provider.authorize_url(&found, &redirect_uri(&state), &row.state, &row.nonce, &row.verifier);
    let cookie = oidc_cookie(&state, &row.state);
    db::run(&state.pool, move |conn| {
        crate::services::oidc_sign_in::begin(conn, &row)
    })
    .await?;
    let mut res = see_other(&url);
    res.add_cookie(&cookie)
        .map_err(|e| AppError::internal(anyhow::anyhow!("oidc cookie: {e}")))?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct OidcCallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`: the provider sends the person back; checks, then the same web
/// session as a magic link.
pub async fn oidc_callback(
    state: State,
    req: HttpRequest,
    q: web::Query<OidcCallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(provider) = state.oidc.clone() else {
        return Err(PageError::NotFound);
    };
    let q = q.into_inner();
    if let Some(error) = q.error.as_deref() {
        let why = match error {
            "access_denied" => {
                "You did not allow Customer Champion to use your company account, so you are not signed in.".to_string()
            }
            other => format!(
                "The company's sign-in service did not sign you in ({other}{}).",
                q.error_description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
        };
        return oidc_refused(&state, StatusCode::FORBIDDEN, why);
    }
    let (Some(code), Some(given_state)) = (q.code, q.state) else {
        return oidc_refused(
            &state,
            StatusCode::BAD_REQUEST,
            "This address is missing the sign-in code. Start again.",
        );
    };
    let cookie_state = req.cookie(OIDC_COOKIE).map(|c| c.value().to_string());
    let wrong_state =
        "This sign-in was not started in this browser, or it has expired (its state does not match). Start again.";
    if cookie_state.as_deref() != Some(given_state.as_str()) {
        return oidc_refused(&state, StatusCode::BAD_REQUEST, wrong_state);
    }
    let begun = db::run(&state.pool, move |conn| {
        crate::services::oidc_sign_in::take(conn, &given_state, now())
    })
    .await?;
    let Some(begun) = begun else {
        return oidc_refused(&state, StatusCode::BAD_REQUEST, wrong_state);
    };
    let Some(found) = provider.current() else {
        return oidc_refused(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "The company's sign-in service is not answering just now. Try again in a minute.",
        );
    };
    let claims = match provider
        .exchange(&found, &code, &begun.verifier, &redirect_uri(&state))
        .await
    {
        Ok(id_token) => provider.verify(&id_token, &begun.nonce).await,
        Err(e) => Err(e),
    };
    let claims = match claims {
        Ok(c) => c,
        Err(f) => return oidc_refused(&state, StatusCode::UNAUTHORIZED, f.0),
    };
    let cfg = &state.settings.oidc;
    let Some(raw_email) = claims.get(&cfg.email_claim).and_then(|v| v.as_str()) else {
        return oidc_refused(
            &state,
            StatusCode::FORBIDDEN,
            format!("Your company account did not share an email ({}).", cfg.email_claim),
        );
    };
    if claims.get("email_verified").and_then(|v| v.as_bool()) != Some(true) {
        return oidc_refused(
            &state,
            StatusCode::FORBIDDEN,
            format!("Your company account's email {raw_email} is not verified, so it cannot sign you in. Verify it with your IT team, or sign in with an emailed link."),
        );
    }
    let Ok(email) = Email::parse(raw_email) else {
        return oidc_refused(
            &state,
            StatusCode::FORBIDDEN,
            format!("{raw_email:?} is not an email address Customer Champion can use."),
        );
    };
    let name = claims.get("name").and_then(|v| v.as_str()).map(str::to_string);
    let create = cfg.create_unknown;
    let lookup = email.clone();
    let who = db::run(&state.pool, move |conn| {
        crate::services::oidc_sign_in::employee_for(conn, &lookup, name.as_deref(), create)
    })
    .await?;
    match who {
        Ok(_) => {
            let mut res = open_session(&state, email, &begun.next).await?;
            forget_oidc_login(&state, &mut res);
            Ok(res)
        }
        Err(why) => oidc_refused(&state, StatusCode::FORBIDDEN, why),
    }
}
