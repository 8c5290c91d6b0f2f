//! Times each stage of rendering a Markdown body (parse, HTML, sanitize, plain text) on
//! hostile shapes at growing sizes, to show which stage grows faster than its input, then
//! the costliest bodies the nesting bound lets through (1 MiB of nests just within it):
//! `cargo run --release --example bench-render [DEPTH…]`. Bodies nested past the bound are
//! refused by `render` before the sanitizer, so its column shows the refusal.

use std::time::{Duration, Instant};

use pulldown_cmark::{Options, Parser};

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn stages(name: &str, markdown: &str) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let (events, parse) = timed(|| Parser::new_ext(markdown, options).count());
    let (html, push) = timed(|| {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options));
        html
    });
    let (_, clean) = timed(|| ammonia::clean(&html));
    let (rendered, whole) = timed(|| gazette::content::render(markdown));
    println!(
        "{name:<28} {:>8} B {events:>8} events  parse {:>8.3}s  push_html {:>8.3}s  ammonia {:>8.3}s  render {:>8.3}s {}",
        markdown.len(),
        parse.as_secs_f64(),
        push.as_secs_f64(),
        clean.as_secs_f64(),
        whole.as_secs_f64(),
        if rendered.is_ok() {
            "rendered"
        } else {
            "refused"
        },
    );
}

/// `BENCH_BYTES` (default 1 MiB) of `unit`, repeated.
fn mib(unit: &str) -> String {
    let bytes: usize = std::env::var("BENCH_BYTES")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1 << 20);
    unit.repeat(bytes / unit.len())
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![2_500, 5_000, 10_000]
    } else {
        sizes
    };
    for &n in &sizes {
        stages(&format!("{n} nested >"), &format!("{}x\n", ">".repeat(n)));
        stages(
            &format!("{n} nested - lists"),
            &format!("{}x\n", "- ".repeat(n)),
        );
        stages(
            &format!("{n} nested <span>"),
            &format!("{}x\n", "<span>".repeat(n)),
        );
        stages(
            &format!("{n} nested <div>"),
            &format!("{}x\n", "<div>".repeat(n)),
        );
        stages(
            &format!("{n} nested *em*"),
            &format!("{}x{}\n", "*".repeat(n), "*".repeat(n)),
        );
        stages(
            &format!("{n} nested <b>"),
            &format!("x {}x\n", "<b>".repeat(n)),
        );
    }
    let max = gazette::content::MAX_NESTING;
    // The same volume of elements, nested less and more deeply.
    for depth in [1, 8, 32, max - 2] {
        stages(
            &format!("1 MiB of {depth}-deep >"),
            &mib(&format!("{}x\n\n", ">".repeat(depth))),
        );
    }
    // Within the bound: the blocks and tags close again, so that the next nest starts over.
    let deep = max - 2;
    stages(
        &format!("1 MiB of {}-deep lists", deep / 2),
        &mib(&format!("{}x\n\n", "- ".repeat(deep / 2))),
    );
    stages(
        &format!("1 MiB of {deep}-deep <div>"),
        &mib(&format!(
            "{}x{}\n",
            "<div>".repeat(deep),
            "</div>".repeat(deep)
        )),
    );
    stages(
        &format!("1 MiB of {deep}-deep <b>"),
        &mib(&format!("{}x{}\n", "<b>".repeat(deep), "</b>".repeat(deep))),
    );
    stages(
        "1 MiB of plain paragraphs",
        &mib("A sentence of plain prose, as most bodies are.\n\n"),
    );
}
