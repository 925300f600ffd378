//! `/static/`: the site's stylesheet, compiled into the binary and served
//! with a cache lifetime; from `<ASSETS_DIR>/static` instead when that
//! development setting is set, so edits show on reload.

use actix_web::{HttpResponse, web};

use crate::error::AppError;

/// Every file of `static/`, compiled in, with its content type.
const EMBEDDED: [(&str, &str, &str); 1] = [(
    "style.css",
    "text/css; charset=utf-8",
    include_str!("../../static/style.css"),
)];

/// `GET /static/{file}` from the compiled-in files; anything else is the
/// 404 page.
pub async fn embedded(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = EMBEDDED
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(*body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_static_folder_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(name, _, _)| *name).collect();
        assert_eq!(on_disk, embedded);
        for (name, _, text) in EMBEDDED {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), text);
        }
    }
}
