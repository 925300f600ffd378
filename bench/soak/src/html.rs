//! Just enough HTML reading to script the site's and the demo providers'
//! pages: their forms (action, hidden fields, radio choices) and the text
//! of an element picked by its class. The pages come from known templates
//! (`templates/`), so a tag scanner is enough; no DOM is built.

/// A `<form>` as a browser would submit it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// The `action` attribute, entities decoded (may be relative).
    pub action: String,
    /// `method`, lower case (`get` when absent).
    pub method: String,
    /// `name`/`value` of every `type="hidden"` input, in page order.
    pub hidden: Vec<(String, String)>,
    /// `name`/`value` of every radio button, in page order.
    pub radios: Vec<(String, String)>,
}

impl Form {
    /// The value of hidden field `name`.
    pub fn hidden(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when a radio button `name` offers `value`.
    pub fn offers(&self, name: &str, value: &str) -> bool {
        self.radios.iter().any(|(n, v)| n == name && v == value)
    }
}

/// Every form of the page, in order.
pub fn forms(html: &str) -> Vec<Form> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let body = &after[..end];
        let open_end = body.find('>').unwrap_or(body.len());
        let open = &body[..open_end];
        let mut form = Form {
            action: attr(open, "action").unwrap_or_default(),
            method: attr(open, "method")
                .unwrap_or_else(|| "get".to_owned())
                .to_ascii_lowercase(),
            ..Form::default()
        };
        for input in tags(body, "<input") {
            let (Some(name), value) = (attr(input, "name"), attr(input, "value")) else {
                continue;
            };
            match attr(input, "type").as_deref() {
                Some("hidden") => form.hidden.push((name, value.unwrap_or_default())),
                Some("radio") => form.radios.push((name, value.unwrap_or_default())),
                _ => {}
            }
        }
        found.push(form);
        rest = &after[end..];
    }
    found
}

/// The first form posting to a path ending in `action_suffix`.
pub fn form_to<'a>(forms: &'a [Form], action_suffix: &str) -> Option<&'a Form> {
    forms
        .iter()
        .find(|f| f.method == "post" && f.action.ends_with(action_suffix))
}

/// The text inside the first element whose `class` attribute is exactly
/// `class`, tags stripped, entities decoded, whitespace collapsed.
pub fn text_of_class(html: &str, class: &str) -> Option<String> {
    let needle = format!("class=\"{class}\"");
    let at = html.find(&needle)?;
    let open_start = html[..at].rfind('<')?;
    let tag_name: String = html[open_start + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let content_start = at + html[at..].find('>')? + 1;
    let close = format!("</{tag_name}>");
    let content_end = content_start + html[content_start..].find(&close)?;
    Some(plain_text(&html[content_start..content_end]))
}

/// Tags stripped, entities decoded, runs of whitespace made one space.
fn plain_text(fragment: &str) -> String {
    let mut text = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The opening tags starting with `prefix` (e.g. `<input`) inside `html`.
fn tags<'a>(html: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(prefix).filter_map(move |(i, _)| {
        let tag = &html[i..];
        tag.find('>').map(|end| &tag[..end])
    })
}

/// The value of attribute `name` in an opening tag (double-quoted, as the
/// templates write them), entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(decode_entities(&tag[start..start + len]))
}

/// Decodes the entities Tera's HTML escaping writes, and numeric ones.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').and_then(|semi| {
            let entity = &tail[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &tail[used..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSENT: &str = r#"<main><form method="post" action="http:&#x2F;&#x2F;127.0.0.1:9&#x2F;_demo&#x2F;github&#x2F;login&#x2F;oauth&#x2F;authorize">
    <input type="hidden" name="consent_id" value="a&#x2F;b+c">
    <label><input type="radio" name="person" value="ada" checked><img src="x" alt=""></label>
    <label><input type="radio" name="person" value="grace"></label>
    <button type="submit" name="decision" value="authorize">Authorize</button></form></main>"#;

    #[test]
    fn a_consent_form_yields_its_action_hidden_fields_and_choices() {
        let forms = forms(CONSENT);
        let form = form_to(&forms, "/login/oauth/authorize").unwrap();
        assert_eq!(
            form.action,
            "http://127.0.0.1:9/_demo/github/login/oauth/authorize"
        );
        assert_eq!(form.hidden("consent_id"), Some("a/b+c"));
        assert!(form.offers("person", "grace"));
        assert!(!form.offers("person", "mallory"));
    }

    #[test]
    fn the_logout_form_is_found_among_others() {
        let page = r#"<form class="inline-form" method="post" action="/logout">
        <input type="hidden" name="csrf_token" value="tok-1"></form>
        <form method="post" action="/account/github/refresh"><input type="hidden" name="csrf_token" value="tok-1"></form>"#;
        let forms = forms(page);
        assert_eq!(forms.len(), 2);
        assert_eq!(
            form_to(&forms, "/logout").unwrap().hidden("csrf_token"),
            Some("tok-1")
        );
    }

    #[test]
    fn a_flash_is_read_as_plain_text() {
        let page = r#"<div class="flashes"><p class="flash flash-error">Your login could not be saved.
          Nothing was changed; please try again &amp; again.</p></div>"#;
        assert_eq!(
            text_of_class(page, "flash flash-error").as_deref(),
            Some("Your login could not be saved. Nothing was changed; please try again & again.")
        );
        assert_eq!(text_of_class(page, "flash flash-success"), None);
    }

    #[test]
    fn an_unknown_entity_is_left_as_written() {
        assert_eq!(decode_entities("a &bogus; &#x41;"), "a &bogus; A");
    }
}
