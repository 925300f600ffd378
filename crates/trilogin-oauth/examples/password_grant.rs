//! The provider-side tutorial flow through the client layer: get a token
//! with the password grant, then call the API with `Authorization: Bearer`.
//!
//! Start the site with its demo providers (`cargo run` at the repository
//! root), then:
//!
//! ```sh
//! cargo run -p trilogin-oauth --example password_grant
//! cargo run -p trilogin-oauth --example password_grant -- http://127.0.0.1:8080 grace-hopper
//! ```
//!
//! The arguments are the site's address and a demo person's GitHub login;
//! every demo person's password is `demo-password`.

#![expect(clippy::print_stdout, reason = "an example shows its result")]

use std::time::Duration;

use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::{ApiRequest, ClientConfig, OAuth};
use url::Url;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let site = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let username = args.next().unwrap_or_else(|| "ada-lovelace".to_owned());
    let site = Url::parse(&site)?;

    let mut oauth = OAuth::new(trilogin_oauth::http::build_client(
        "trilogin-password-grant-example",
        Duration::from_secs(10),
    )?);
    oauth.register(
        "github",
        ClientConfig {
            client_id: "Iv1.demo0github0client".into(),
            client_secret: Some(ClientSecret::new("demo-github-client-secret")),
            access_token_url: Some(site.join("/_demo/github/login/oauth/access_token")?),
            api_base_url: Some(site.join("/_demo/github/api/")?),
            scope: Some("read:user".into()),
            ..ClientConfig::default()
        },
    )?;
    let github = oauth
        .client("github")
        .and_then(|c| c.as_oauth2())
        .ok_or("github is an OAuth 2 client")?;

    // 1. Exchange the person's password for a token (client authenticates with Basic).
    let token = github
        .fetch_token_with_password(&username, "demo-password", None)
        .await?;
    println!(
        "token: {} (expires {:?}, scope {:?})",
        token.token_type,
        token.expires_at,
        token.scope.as_deref().unwrap_or("")
    );

    // 2. Call the API with it.
    let user: serde_json::Value = github
        .request_with_token(&ApiRequest::get("user"), &token)
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("logged in as {} ({})", user["login"], user["name"]);
    Ok(())
}
