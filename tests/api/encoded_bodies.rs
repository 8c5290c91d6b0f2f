//! Compressed request bodies (decompression bombs). Gazette decodes no request content
//! coding: a request with any `Content-Encoding` but `identity` is a 415 problem with
//! `Accept-Encoding: identity`, sent before anything reads the body, whatever key comes with
//! it (none, a made-up one, a content key, the admin key), and it writes nothing. On the
//! real binary, bombs that inflate to hundreds of MiB leave its peak memory where it was.

use crate::support::binary;
use crate::support::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use flate2::{Compress, Compression, Crc, FlushCompress};
use serde_json::{Value, json};

use common::*;

const MIB: usize = 1024 * 1024;
/// What each bomb inflates to, in MiB.
const INFLATED_MIB: usize = 256;
/// A valid article, then whitespace (valid JSON too), then its closing brace.
const HEAD: &[u8] = br#"{"title": "Bomb""#;
const TAIL: &[u8] = b"}";

/// Raw deflate of `input` with `flush`, appended to `out`.
fn deflate(z: &mut Compress, input: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    let start = z.total_in();
    loop {
        out.reserve(64 * 1024);
        let used = usize::try_from(z.total_in() - start).unwrap();
        z.compress_vec(&input[used..], out, flush).unwrap();
        let done = usize::try_from(z.total_in() - start).unwrap() == input.len();
        if done && out.len() < out.capacity() {
            return;
        }
    }
}

/// A gzip body inflating to `HEAD`, `mib` MiB of spaces and `TAIL`. After a full flush the
/// compressor starts afresh, so one MiB of spaces compresses to the same block every time:
/// the block is compressed once and repeated, and the checksum combined, not recomputed.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let spaces = vec![b' '; MIB];
    let mut z = Compress::new(Compression::best(), false);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    deflate(&mut z, HEAD, FlushCompress::Full, &mut out);
    let mut block = Vec::new();
    deflate(&mut z, &spaces, FlushCompress::Full, &mut block);
    let (mut crc, mut block_crc) = (Crc::new(), Crc::new());
    crc.update(HEAD);
    block_crc.update(&spaces);
    for _ in 0..mib {
        out.extend_from_slice(&block);
        crc.combine(&block_crc);
    }
    deflate(&mut z, TAIL, FlushCompress::Finish, &mut out);
    crc.update(TAIL);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

fn brotli_bomb(mib: usize) -> Vec<u8> {
    let spaces = vec![b' '; MIB];
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 1, 24);
        writer.write_all(HEAD).unwrap();
        for _ in 0..mib {
            writer.write_all(&spaces).unwrap();
        }
        writer.write_all(TAIL).unwrap();
    }
    out
}

/// A body in each content coding, built once: gzip and brotli that inflate to
/// `INFLATED_MIB` MiB, and a zstd frame that is only its magic number and noise (the header
/// alone must refuse it; nothing here decodes zstd).
fn bombs() -> &'static [(&'static str, Vec<u8>)] {
    static BOMBS: OnceLock<Vec<(&str, Vec<u8>)>> = OnceLock::new();
    BOMBS.get_or_init(|| {
        let mut zstd = vec![0x28, 0xb5, 0x2f, 0xfd];
        zstd.extend((0..96 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        vec![
            ("gzip", gzip_bomb(INFLATED_MIB)),
            ("br", brotli_bomb(INFLATED_MIB)),
            ("zstd", zstd),
        ]
    })
}

/// The bombs are what they claim: small, and (checked on a small one built the same way,
/// since inflating 256 MiB takes long in a debug build) a valid gzip stream of exactly the
/// intended bytes, checksum included.
#[test]
fn the_bombs_are_small_and_inflate_as_built() {
    for (coding, body) in bombs() {
        assert!(body.len() < MIB / 2, "{coding}: {} bytes", body.len());
    }
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&gzip_bomb(3)[..])
        .read_to_end(&mut inflated)
        .expect("a valid gzip stream");
    let expected = [HEAD, &vec![b' '; 3 * MIB], TAIL].concat();
    assert!(
        inflated == expected,
        "the gzip bomb inflates to other bytes"
    );
    let mut inflated = Vec::new();
    brotli::Decompressor::new(&brotli_bomb(3)[..], 4096)
        .read_to_end(&mut inflated)
        .expect("a valid brotli stream");
    assert!(
        inflated == expected,
        "the brotli bomb inflates to other bytes"
    );
}

/// Who sends a bomb.
fn senders(ctx: &Ctx) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("no key", None),
        (
            "a made-up key",
            Some("gazette_madeupmadeupmadeupmadeupmadeupmadeupma".to_owned()),
        ),
        ("a content key", Some(ctx.content_key.clone())),
        ("the admin key", Some(ctx.admin_key.clone())),
    ]
}

/// Every route that takes a body, and one that takes none.
const ROUTES: [(&str, &str, &str); 7] = [
    ("POST", "/api/v1/articles", "application/json"),
    ("PATCH", "/api/v1/articles/kept", "application/json"),
    ("PUT", "/api/v1/articles/kept/related", "application/json"),
    ("POST", "/api/v1/tags", "application/json"),
    ("POST", "/api/v1/webhooks", "application/json"),
    ("POST", "/api/v1/import", "application/x-ndjson"),
    ("DELETE", "/api/v1/articles/kept", "application/json"),
];

async fn webhooks(ctx: &Ctx, app: &TestApp) -> Value {
    send(app, ctx.admin(get("/api/v1/webhooks"))).await.ok(200)
}

#[actix_web::test]
async fn encoded_bodies_are_415_unread_whatever_the_key() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    create_article(
        &ctx,
        &app,
        json!({"title": "Kept", "slug": "kept", "status": "published"}),
    )
    .await;
    let before = (
        content_snapshot(&ctx, &app, Lists::Admin).await,
        webhooks(&ctx, &app).await,
    );
    let codings = bombs()
        .iter()
        .map(|(coding, body)| (*coding, body.as_slice()))
        .chain([
            ("GZIP", bombs()[0].1.as_slice()),
            ("identity, gzip", bombs()[0].1.as_slice()),
            ("deflate", b"x\x9c".as_slice()),
        ]);
    let mut sent = 0;
    for (coding, body) in codings {
        for (method, uri, content_type) in ROUTES {
            for (who, key) in senders(&ctx) {
                let case = format!("{method} {uri}, Content-Encoding: {coding}, {who}");
                let mut req = TestRequest::default()
                    .method(Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(uri)
                    .insert_header(("Content-Type", content_type))
                    .insert_header(("Content-Encoding", coding))
                    .set_payload(body.to_vec());
                if let Some(key) = key {
                    req = req.insert_header(("Authorization", format!("Bearer {key}")));
                }
                let res = send(&app, req).await;
                assert_eq!(res.status, 415, "{case}: {res:?}");
                res.problem(415);
                assert_eq!(res.header("accept-encoding"), Some("identity"), "{case}");
                sent += 1;
            }
        }
    }
    assert_eq!(sent, 6 * ROUTES.len() * 4);
    let after = (
        content_snapshot(&ctx, &app, Lists::Admin).await,
        webhooks(&ctx, &app).await,
    );
    assert!(before == after, "an encoded body wrote something");
    // `identity` is no coding at all: such a body is read as usual.
    let req = ctx
        .admin(post_article_req(json!({"title": "Plain"})))
        .insert_header(("Content-Encoding", "identity"));
    send(&app, req).await.ok(201);
}

// ---------------------------------------------------------------------------------------
// Peak memory, on the real server.
// ---------------------------------------------------------------------------------------

/// The process's peak resident memory, in bytes (`VmHWM` in /proc/<pid>/status).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kib * 1024
}

/// Mints a key of `scope` with the CLI.
fn mint(dir: &std::path::Path, db: &std::path::Path, scope: &str) -> String {
    if scope == "admin" {
        return binary::admin_key(dir, db, "bomb admin");
    }
    let out = binary::gazette(dir, db)
        .args(["keys", "create", "--name", "bomb reader", "--scope", scope])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.lines().last().unwrap().trim().to_owned()
}

/// POSTs `body` as it is to `addr`; the status line's code. The server may answer and close
/// before it has read the whole body: what matters is what it answered.
fn post_raw(addr: &str, coding: &str, key: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST /api/v1/articles HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Encoding: {coding}\r\nAuthorization: Bearer {key}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"))
}

#[test]
fn bombs_leave_the_servers_peak_memory_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bombs.db");
    let keys = [
        "gazette_madeupmadeupmadeupmadeupmadeupmadeupma".to_owned(),
        mint(dir.path(), &db, "content"),
        mint(dir.path(), &db, "admin"),
    ];
    let server = binary::Server::start(dir.path(), &db, &[("WORKERS", "1")]);
    let agent = binary::client();
    for _ in 0..3 {
        let res = agent.get(server.url("/api/v1/articles")).call().unwrap();
        assert_eq!(res.status(), 200);
    }
    let baseline = peak_rss(server.pid());
    for (coding, body) in bombs() {
        for key in &keys {
            let status = post_raw(server.addr(), coding, key, body);
            assert_eq!(status, 415, "{coding} bomb: {}", server.log());
        }
    }
    let res = agent.get(server.url("/healthz")).call().unwrap();
    assert_eq!(res.status(), 200);
    let grown = peak_rss(server.pid()).saturating_sub(baseline);
    eprintln!(
        "peak RSS {} MiB before the bombs, grown by {} KiB",
        baseline / MIB as u64,
        grown / 1024
    );
    assert!(
        grown < 100 * MIB as u64,
        "the server's peak memory grew by {} MiB",
        grown / MIB as u64
    );
}
