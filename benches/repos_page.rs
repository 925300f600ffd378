//! Rendering the repositories page (`repos.html` in `base.html`, escaped)
//! from a fixed view of 30 repositories: the largest page the site renders
//! on every load of `/repos`.

#![expect(
    clippy::expect_used,
    reason = "a benchmark with a broken fixture should stop at once"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trilogin::web::repos::{BudgetView, RepoView, ReposView};
use trilogin::web::safe_url::SafeUrl;
use trilogin::web::templates::{DemoBanner, Layout, Templates};
use trilogin_accounts::providers::github::Pages;

fn view() -> ReposView {
    let mut layout = Layout::bare("Repositories", DemoBanner::None);
    layout.signed_in = true;
    layout.csrf_token = Some("kq3V0rDlzF1m0b9lB7m3rHgk0mJ6cQ2bVx8yT4uN5wE".to_owned());
    let repos = (1..=30)
        .map(|i| RepoView {
            full_name: format!("bench-user/project-{i:02}"),
            html_url: SafeUrl::new(&format!("https://github.com/bench-user/project-{i:02}")),
            description: Some(format!(
                "Project {i}: a <small> tool & a library for \"benchmarks\", with notes on its design and use"
            )),
            language: Some(if i % 3 == 0 { "Rust" } else { "Python" }.to_owned()),
            stars: format!("{} stars", i * 3 % 11),
            private: i % 7 == 0,
            fork: i % 5 == 0,
            updated_at_iso: format!("2026-11-{:02}T10:15:00Z", (30 - i) % 28 + 1),
            updated_at: format!("{} Nov 2026, 10:15 UTC", (30 - i) % 28 + 1),
            updated_ago: format!("{i} days ago"),
        })
        .collect();
    ReposView {
        layout,
        repos,
        page: 1,
        pages: Pages {
            prev: None,
            next: Some(2),
            last: Some(3),
        },
        budget: Some(BudgetView {
            remaining: 4999,
            limit: 5000,
            reset: "15:05 UTC".to_owned(),
        }),
        not_modified: false,
        try_again_at: None,
        problem: None,
    }
}

fn render(c: &mut Criterion) {
    let templates = Templates::embedded().expect("the compiled-in templates load");
    let view = view();
    let page = templates
        .render("repos.html", &view)
        .expect("the page renders");
    assert_eq!(page.matches(r#"class="card repo""#).count(), 30);
    c.bench_function("render the repositories page (30 repositories)", |b| {
        b.iter(|| templates.render("repos.html", black_box(&view)));
    });
    // The part of rendering that turns the view into Tera's context.
    c.bench_function("the repositories page's Tera context", |b| {
        b.iter(|| tera::Context::from_serialize(black_box(&view)));
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
