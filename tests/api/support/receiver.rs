//! A real webhook receiver on loopback: a plain TCP listener on its own thread that records
//! every request and answers each with the next scripted status (then 200).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use socket2::{Domain, Socket, Type};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// Asserts the signature headers are right for `secret`, computing the HMAC here.
    #[track_caller]
    pub fn assert_signed(&self, secret: &str) {
        let timestamp = self.header("x-gazette-timestamp").expect("a timestamp");
        let sent: i64 = timestamp.parse().expect("the timestamp is Unix seconds");
        let now = chrono::Utc::now().timestamp();
        assert!(
            (now - 300..=now + 5).contains(&sent),
            "timestamp {sent} is not recent (now {now})"
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(&self.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            self.header("x-gazette-signature"),
            Some(format!("sha256={expected}").as_str()),
            "signature of {}",
            String::from_utf8_lossy(&self.body)
        );
    }
}

#[derive(Debug, Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
    /// How long each answer waits after its request is recorded.
    delay: Duration,
}

/// A receiver listening on 127.0.0.1; it runs until the test process ends.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    /// Listens on a free port; answers the first requests with `script`, then 200.
    pub fn start(script: &[u16]) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("bind"), script)
    }

    /// Listens on a free port and answers 200 to each request `delay` after recording it:
    /// a receiver in the middle of an attempt for that long.
    pub fn start_slow(delay: Duration) -> Self {
        let receiver = Self::start(&[]);
        receiver.shared.lock().unwrap().delay = delay;
        receiver
    }

    /// A port on 127.0.0.1 for a receiver that is not up yet: see [`ReservedPort`].
    pub fn reserve() -> ReservedPort {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("bind");
        ReservedPort(socket)
    }

    fn start_on(listener: TcpListener, script: &[u16]) -> Self {
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            received: Vec::new(),
            script: script.iter().copied().collect(),
            delay: Duration::ZERO,
        }));
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || {
                    let _ = handle(stream, &state);
                });
            }
        });
        Self { addr, shared }
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits (blocking the thread) until `n` requests have arrived; returns them all.
    #[track_caller]
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} requests within {timeout:?}, got {}",
                received.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A port held for a receiver that is not up yet: bound, so that nothing else (another test,
/// another process) takes it meanwhile, but not listening, so that a connection to it is
/// refused as when nothing runs there.
#[derive(Debug)]
pub struct ReservedPort(Socket);

impl ReservedPort {
    pub fn port(&self) -> u16 {
        let addr = self.0.local_addr().expect("the bound address");
        addr.as_socket().expect("an IP address").port()
    }

    /// The receiver comes up on this port; it answers the first requests with `script`, then
    /// 200.
    pub fn start(self, script: &[u16]) -> Receiver {
        self.0.listen(128).expect("listen");
        Receiver::start_on(self.0.into(), script)
    }
}

fn handle(stream: TcpStream, shared: &Mutex<Shared>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, delay) = {
        let mut shared = shared.lock().unwrap();
        shared.received.push(Received {
            method,
            path,
            headers,
            body,
        });
        (shared.script.pop_front().unwrap_or(200), shared.delay)
    };
    std::thread::sleep(delay);
    let text = if status < 300 {
        "ok"
    } else {
        "receiver says no"
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} Scripted\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}
