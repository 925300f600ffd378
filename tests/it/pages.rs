//! The home page, the 404 page and the stylesheet.

use trilogin::config::DemoMode;

use trilogin_accounts::UserId;
use trilogin_testing::{spawn_app, spawn_app_with};

#[tokio::test]
async fn home_page_offers_a_login_button_per_provider_served_by_the_demo() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    for (name, label) in [
        ("twitter", "Twitter"),
        ("github", "GitHub"),
        ("google", "Google"),
    ] {
        assert!(
            body.contains(&format!(r#"href="/login/{name}""#)),
            "no {name} button in {body}"
        );
        assert!(body.contains(&format!("Log in with {label}")));
    }
    assert!(body.contains("Demo providers in use — no real accounts involved"));
    assert!(body.contains(r#"href="/static/style.css""#));
    assert!(!body.contains("<script"), "pages need no JavaScript");
}

#[tokio::test]
async fn without_credentials_or_demo_the_buttons_are_disabled_and_explained() {
    let app = spawn_app_with(|config| config.demo_providers = DemoMode::Off).await;
    let body = app.get_page("/", 200).await;
    assert!(!body.contains(r#"href="/login/"#), "{body}");
    assert_eq!(body.matches(r#"aria-disabled="true""#).count(), 3);
    assert!(body.contains("<code>GITHUB_CLIENT_ID</code>"));
    assert!(body.contains("No provider is set up"));
    assert!(!body.contains("Demo providers in use"));
}

#[tokio::test]
async fn a_configured_provider_gets_a_real_button_and_no_demo_banner() {
    let app = spawn_app_with(|config| {
        config.demo_providers = DemoMode::Auto;
        for name in ["TWITTER", "GITHUB", "GOOGLE"] {
            config
                .provider_env
                .insert(format!("{name}_CLIENT_ID"), format!("{name}-id"));
            config
                .provider_env
                .insert(format!("{name}_CLIENT_SECRET"), format!("{name}-secret"));
        }
    })
    .await;
    assert!(app.state.demo.is_empty());
    let body = app.get_page("/", 200).await;
    assert!(body.contains(r#"href="/login/github""#));
    assert!(!body.contains("Demo providers in use"));
    assert!(!body.contains(">demo<"));
}

#[tokio::test]
async fn an_unknown_path_renders_the_404_page_with_status_404() {
    let app = spawn_app().await;
    for path in ["/no/such/page", "/static/missing.css"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("Page not found"), "{path}: {body}");
        assert!(body.contains("Back to the home page"));
    }
}

#[tokio::test]
async fn a_wrong_method_renders_the_error_page_with_its_status() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = app.client.post(app.url("/")).send().await.unwrap();
    assert!(response.status().is_client_error());
    let body = response.text().await.unwrap();
    assert!(body.contains("<html"), "{body}");
}

#[tokio::test]
async fn the_stylesheet_is_served_from_static() {
    let app = spawn_app().await;
    let response = app.get("/static/style.css").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let css = response.text().await.unwrap();
    assert!(css.contains(".provider-github"));
    assert!(
        !css.contains("http://") && !css.contains("https://"),
        "no CDN"
    );
}

#[tokio::test]
async fn error_pages_show_a_logged_in_person_their_navigation() {
    let app = spawn_app().await;
    app.plant_logged_in_session(UserId::new(1)).await;
    let not_found = app.get("/no/such/page").await;
    assert_eq!(not_found.status(), 404);
    let wrong_method = app.client.put(app.url("/logout")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    let bad_request = app.get("/login/github?next=/a&next=/b").await;
    assert_eq!(bad_request.status(), 400);
    for response in [not_found, wrong_method, bad_request] {
        let status = response.status();
        let body = response.text().await.unwrap();
        for nav in [
            r#"href="/repos">Repositories<"#,
            r#"href="/timeline">Timeline<"#,
            r#"href="/profile">Profile<"#,
            r#"href="/account">Account<"#,
            r#"action="/logout""#,
        ] {
            assert!(body.contains(nav), "{status} lacks {nav}: {body}");
        }
    }
    // A stranger's error page has no navigation to offer.
    let body = app
        .browser()
        .get("/no/such/page")
        .await
        .text()
        .await
        .unwrap();
    assert!(!body.contains(r#"href="/repos""#), "{body}");
    assert!(
        !body.contains(">Home<"),
        "the brand is the link home: {body}"
    );
}
