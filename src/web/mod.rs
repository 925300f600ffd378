//! The web layer: the route table, middleware, handlers, the typed session
//! and the templates glue. Handlers parse input, call one use case and
//! render one view struct; they never write SQL.

pub mod account;
pub mod assets;
pub mod confirm;
pub mod dashboard;
pub mod delete_account;
pub mod error_pages;
pub mod format;
pub mod headers;
pub mod health;
pub mod home;
pub mod login;
pub mod login_limit;
pub mod logout;
pub mod merge;
pub mod next;
pub mod profile;
pub mod repos;
pub mod request_log;
pub mod resource_page;
pub mod safe_url;
pub mod session;
pub mod session_store;
pub mod sign_out;
pub mod signed_in;
pub mod state;
pub mod templates;
pub mod timeline;
pub mod tweet_text;

use actix_web::web;

/// The site's own routes (the demo providers mount theirs separately).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/login/{provider}", web::get().to(login::login))
        .route("/auth/{provider}/callback", web::get().to(login::callback))
        .route(
            "/auth/{provider}/callback",
            web::post().to(login::callback_form),
        )
        .service(
            web::resource("/logout")
                .route(web::post().to(logout::logout))
                .route(web::get().to(logout::logout_page))
                .default_service(web::to(logout::logout_by_other_method)),
        )
        .route("/logout/{provider}", web::post().to(sign_out::sign_out_at))
        .route("/timeline", web::get().to(timeline::timeline))
        .route("/repos", web::get().to(repos::repos))
        .route("/profile", web::get().to(profile::profile))
        .route(
            "/profile/{provider}",
            web::get().to(profile::provider_profile),
        )
        .route("/account", web::get().to(account::account))
        .service(
            web::resource("/account/merge")
                .route(web::get().to(merge::merge_page))
                .route(web::post().to(merge::merge)),
        )
        .route("/account/merge/cancel", web::post().to(merge::cancel))
        .service(
            web::resource("/account/delete")
                .route(web::get().to(delete_account::confirm_delete))
                .route(web::post().to(delete_account::delete)),
        )
        .route(
            "/account/{provider}/refresh",
            web::post().to(account::refresh),
        )
        .service(
            web::resource("/account/{provider}/disconnect")
                .route(web::get().to(account::confirm_disconnect))
                .route(web::post().to(account::disconnect)),
        );
}
