//! Builds the application from settings: pool, migrations, middleware, routes, listener.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpMessage, HttpServer};
use secrecy::ExposeSecret;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::TokenKeys;
use crate::boards::memory::BoardMemory;
use crate::boards::recount::{self, Readers};
use crate::error::{AppError, FieldError};
use crate::http::board_cache::BoardCache;
use crate::http::{self, health, metrics, openapi::ApiDoc, problem, AppState};
use crate::services::postcards::Rules;
use crate::services::send_queue::SendQueue;
use crate::settings::Settings;
use crate::store::db::Checkpoints;
use crate::store::{self, db, postcards};

pub struct Application {
    port: u16,
    server: Server,
    pub pool: store::Pool,
    /// The outbox worker and digest clock; stopped with the server.
    background: Vec<tokio::task::AbortHandle>,
}

const UNIQUE_SENDERS_MIGRATION: &str = "20261123000007";

/// Opens the pool and brings the schema up to date.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<store::Pool> {
    prepare_database_with(settings, Checkpoints::OnCommit)
}

/// [`prepare_database`], saying who checkpoints SQLite's log.
fn prepare_database_with(settings: &Settings, checkpoints: Checkpoints) -> anyhow::Result<store::Pool> {
    let pool = db::connect_with(
        settings.database.url.expose_secret(),
        settings.database.pool_size,
        checkpoints,
    )?;
    let mut conn = pool.get()?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(applied = applied.len(), "database migrations applied");
    }
    // This migration adds stored unique senders, which depend on org.timezone: recount them
    // (an installation that already has postcards would otherwise show zeros).
    // Before serving, so nobody reads the boards meanwhile.
    if applied.iter().any(|v| v == UNIQUE_SENDERS_MIGRATION) && postcards::any(&mut conn)? {
        let cfg = crate::boards::scoreboard::BoardConfig::from_settings(settings);
        let counted = recount::rebuild(&mut conn, &cfg, Readers::Nobody, &|_, _| {})?;
        tracing::info!(postcards = counted, "leaderboard totals rebuilt with unique senders");
    }
    Ok(pool)
}

fn bad_query(e: impl std::fmt::Display) -> actix_web::Error {
    let message = e.to_string();
    AppError::BadRequest {
        code: "invalid_parameter",
        detail: format!("the query string is not valid: {message}"),
        errors: vec![FieldError::new("query", message)],
    }
    .into()
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(vec!["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers(vec![
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers(vec![header::LOCATION, header::ETAG])
        .max_age(3600);
    for origin in &settings.server.allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The outbox worker and the digest clock, each switchable per instance.
fn spawn_background(settings: &Settings, pool: &store::Pool) -> anyhow::Result<Vec<tokio::task::AbortHandle>> {
    let mut tasks = Vec::new();
    if settings.smtp.worker {
        let mailer = crate::email::worker::Mailer::from_settings(&settings.smtp)?;
        let poll = Duration::from_millis(settings.smtp.poll_ms);
        tasks.push(tokio::spawn(crate::email::worker::run(pool.clone(), mailer, poll)).abort_handle());
    }
    if settings.digest.enabled {
        let cfg = crate::services::digests::DigestConfig::from_settings(settings);
        let every = Duration::from_secs(settings.digest.check_seconds);
        tasks.push(tokio::spawn(crate::email::clock::run(pool.clone(), cfg, every)).abort_handle());
    }
    if db::Backend::of_url(settings.database.url.expose_secret()) == Some(db::Backend::Sqlite) {
        tasks.push(tokio::spawn(checkpoints(pool.clone())).abort_handle());
    }
    if settings.webhooks.worker {
        let worker = crate::outgoing::worker::Worker::from_settings(settings, pool.clone())?;
        tasks.push(tokio::spawn(worker.run()).abort_handle());
    }
    tasks.push(tokio::spawn(forget_idempotency_keys(pool.clone())).abort_handle());
    Ok(tasks)
}

/// Deletes expired `Idempotency-Key` records and web sessions every minute, off the request
/// paths (a send batch deleting them held their row locks until its commit, and concurrent
/// batches queued behind each other's).
async fn forget_idempotency_keys(pool: store::Pool) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let purged = db::run(&pool, |conn| {
            let now = crate::domain::clock::now();
            crate::services::idempotency::purge_expired(conn, now)?;
            // Signed requests older than this are refused as stale anyway.
            crate::store::deliveries::forget_signatures(conn, now - chrono::Duration::minutes(10))?;
            crate::services::oidc_sign_in::purge_expired(conn, now)?;
            crate::services::web_sessions::purge_expired(conn, now)
        });
        if let Err(error) = purged.await {
            tracing::warn!(%error, "expired idempotency keys or sessions not deleted; trying again");
        }
    }
}

/// How often the service checkpoints SQLite's log (see [`Checkpoints::InBackground`]): a
/// quarter of a second of sends is a few hundred pages at most.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

async fn checkpoints(pool: store::Pool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = db::run(&pool, |conn| db::checkpoint(conn).map_err(Into::into)).await {
            tracing::warn!(%error, "checkpoint failed; trying again");
        }
    }
}

/// Reads the ended buckets of the last `server.board_memory_warm_days` days into the board
/// memory, off the request path; requests meanwhile read what is not there yet themselves.
fn warm_board_memory(settings: &Settings, pool: &store::Pool, memory: Arc<BoardMemory>) -> tokio::task::AbortHandle {
    let (pool, days) = (pool.clone(), settings.server.board_memory_warm_days);
    let kept_before = crate::domain::buckets::kept_before(chrono::Utc::now().naive_utc(), settings.org_timezone());
    let keys = crate::domain::buckets::ended_within(kept_before, days, settings.week_starts());
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let warmed = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            memory
                .warm(&mut conn, &keys, "", kept_before)
                .map_err(|e| e.to_string())
        });
        match warmed {
            Ok(buckets) => tracing::info!(
                buckets,
                rows = memory.kept_rows(),
                seconds = started.elapsed().as_secs_f64(),
                "board memory warmed"
            ),
            Err(error) => tracing::warn!(%error, "board memory not warmed; boards read buckets as asked"),
        }
    })
    .abort_handle()
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let startup_settings = settings.clone();
        let pool =
            tokio::task::spawn_blocking(move || prepare_database_with(&startup_settings, Checkpoints::InBackground))
                .await??;
        let keys = Arc::new(TokenKeys::from_settings(&settings.auth)?);
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port)).map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}:{}: {e}",
                settings.server.host,
                settings.server.port
            )
        })?;
        let port = listener.local_addr()?.port();
        tracing::info!(host = %settings.server.host, port, "listening");
        // The freshness contract (`boards::memory`): a board is at most
        // `leaderboard_cache_ms` behind another instance's writes, half of it in the rows kept
        // in memory, half in the answer cache.
        let stale_at_most = Duration::from_millis(settings.server.leaderboard_cache_ms) / 2;
        let board_memory = Arc::new(BoardMemory::new(settings.server.board_memory_rows, stale_at_most));
        let oidc = crate::outgoing::oidc::OidcProvider::from_settings(&settings.oidc)?;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            settings: settings.clone(),
            keys,
            metrics: metrics::Metrics::new()?,
            boards: BoardCache::new(stale_at_most, settings.server.answer_cache_entries),
            board_memory: board_memory.clone(),
            sends: SendQueue::start(
                pool.clone(),
                Rules::from_settings(&settings),
                board_memory.clone(),
                settings.database.send_writers,
                settings.database.send_batch_max,
            ),
            exports: http::export_stream::Exports::new(&settings.export),
            webhook_client: crate::outgoing::client::WebhookClient::new(
                Duration::from_secs(settings.webhooks.timeout_seconds),
                settings.webhooks.allow_private_targets,
            )?,
            // Slack gives an interaction three seconds: calls made while answering one
            // (opening a modal, looking up a profile) must be quicker.
            slack: crate::outgoing::slack_api::SlackApi::from_settings(&settings.slack, Duration::from_secs(2))?,
            oidc: oidc.clone(),
        });
        let mut background = spawn_background(&settings, &pool)?;
        // Discovery and keys in the background: a provider that is down does not stop start-up.
        if let Some(provider) = oidc {
            background.push(tokio::spawn(provider.run()).abort_handle());
        }
        background.push(warm_board_memory(&settings, &pool, board_memory));
        let openapi = ApiDoc::openapi();
        let server = HttpServer::new(move || {
            let state = state.clone();
            let metrics_state = state.clone();
            App::new()
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(|e, _| bad_query(e)))
                .app_data(web::PathConfig::default().error_handler(|e, _| bad_query(e)))
                .app_data(web::FormConfig::default().error_handler(http::pages::bad_form))
                .wrap(actix_web::middleware::from_fn(http::edge::edge))
                .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem))
                .wrap(cors(&state.settings))
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let method = req.method().to_string();
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    let metrics = metrics_state.clone();
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                        metrics.metrics.observe(
                            &method,
                            &route,
                            res.status().as_u16(),
                            started.elapsed().as_secs_f64(),
                        );
                        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                            res.headers_mut()
                                .insert(header::HeaderName::from_static("x-request-id"), id);
                        }
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::default())
                .service(web::resource("/healthz").route(web::get().to(health::healthz)))
                .service(web::resource("/readyz").route(web::get().to(health::readyz)))
                .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
                .service(
                    web::resource("/unsubscribe")
                        .route(web::get().to(http::unsubscribe::unsubscribe))
                        .route(web::post().to(http::unsubscribe::unsubscribe_one_click)),
                )
                // Chat platforms: signed by them, not by our tokens or cookies.
                .service(web::resource("/integrations/slack/commands").route(web::post().to(http::slack::commands)))
                .service(
                    web::resource("/integrations/slack/interactions").route(web::post().to(http::slack::interactions)),
                )
                .service(web::resource("/integrations/slack/events").route(web::post().to(http::slack::events)))
                .service(web::resource("/integrations/teams/messages").route(web::post().to(http::teams::messages)))
                .service(web::resource("/widgets/leaderboard").route(web::get().to(http::widgets::leaderboard_widget)))
                .service(web::resource("/widgets/wall").route(web::get().to(http::widgets::wall_widget)))
                // Before `/assets/{name}`: the behaviours' colours are a stylesheet made here.
                .service(web::resource("/assets/looks.css").route(web::get().to(http::pages::app::looks_css)))
                .service(web::resource("/assets/{name}").route(web::get().to(http::web_app::asset)))
                .service(web::resource("/sign-in").route(web::get().to(http::pages::sign_in::page)))
                .service(web::resource("/sign-in/email").route(web::post().to(http::pages::sign_in::ask_for_link)))
                .service(web::resource("/sign-in/link").route(web::post().to(http::pages::sign_in::use_link)))
                .service(web::resource("/sign-in/token").route(web::post().to(http::pages::sign_in::use_token)))
                .service(web::resource("/sign-out").route(web::post().to(http::pages::sign_in::sign_out)))
                .service(web::resource("/auth/oidc/login").route(web::get().to(http::pages::sign_in::oidc_login)))
                .service(web::resource("/auth/oidc/callback").route(web::get().to(http::pages::sign_in::oidc_callback)))
                .configure(http::pages::admin::routes)
                .configure(http::pages::app::routes)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", openapi.clone()))
                .service(web::redirect("/docs", "/docs/"))
                .service(web::scope("/api/v1").configure(http::api_routes))
                .service(web::scope("/scim/v2").configure(http::scim::routes))
                .default_service(web::to(http::pages::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Application {
            port,
            server,
            pool,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Handles to stop the background tasks (tests stop them before dropping a database).
    pub fn background_tasks(&self) -> Vec<tokio::task::AbortHandle> {
        self.background.clone()
    }

    /// Runs until SIGTERM/SIGINT, then drains in-flight requests (actix's graceful shutdown)
    /// and stops the background tasks. An email being sent at that moment stays claimed and
    /// is sent again after its claim expires: delivery is at least once, never lost.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.background.iter().for_each(|t| t.abort());
        result
    }
}
