//! The employee web app, as server-rendered pages with their own URLs: the wall (`/`), a
//! postcard (`/postcards/{id}`), a person (`/people/{id}`), sending (`/send`), the
//! leaderboard, my postcards, my team and settings. `pages.js` adds comfort (colleague
//! search, "+1" without a reload, the send animation); every page works without it.

pub mod cards;
pub mod leaderboard;
pub mod mine;
pub mod people;
pub mod postcard;
pub mod send;
pub mod settings;
pub mod team;
pub mod wall;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::http::State;
use crate::store::{behaviours, db};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(wall::page)))
        .service(web::resource("/postcards/{id}").route(web::get().to(postcard::page)))
        .service(web::resource("/postcards/{id}/endorse").route(web::post().to(postcard::endorse)))
        .service(web::resource("/postcards/{id}/report").route(web::post().to(postcard::report)))
        .service(web::resource("/people/{id}").route(web::get().to(people::page)))
        .service(
            web::resource("/send")
                .route(web::get().to(send::page))
                .route(web::post().to(send::send)),
        )
        .service(web::resource("/leaderboard").route(web::get().to(leaderboard::page)))
        .service(web::resource("/me/postcards").route(web::get().to(mine::page)))
        .service(web::resource("/team").route(web::get().to(team::page)))
        .service(web::resource("/team/digest").route(web::get().to(team::digest)))
        .service(
            web::resource("/settings")
                .route(web::get().to(settings::page))
                .route(web::post().to(settings::save)),
        );
}

/// Each behaviour's colour as a class (`.b-{slug}`), so pages colour stamps without inline
/// styles (the CSP allows none). Slugs are `[a-z0-9-]`, colours `#rrggbb`: nothing to escape.
pub async fn looks_css(state: State, req: HttpRequest) -> Result<HttpResponse, crate::error::AppError> {
    let rows = db::run(&state.pool, |conn| Ok(behaviours::list(conn, true)?)).await?;
    let css: String = rows
        .iter()
        .filter_map(|b| b.color.as_ref().map(|c| format!(".b-{} {{ --b: {c}; }}\n", b.slug)))
        .collect();
    let etag = format!("\"{}\"", &crate::services::secrets::sha256_hex(&css)[..16]);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut res = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    Ok(if unchanged {
        res.finish()
    } else {
        res.content_type("text/css; charset=utf-8").body(css)
    })
}
