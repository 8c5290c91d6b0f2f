//! A Server-Sent Events client for tests: reads a stream on a thread of its own and hands on
//! each event (and heartbeat comment) as it arrives. The connection stays open until the
//! server ends it (or its process ends).

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// One event as received: its name (`message` when none), id and data; a comment line is
/// an event named `:` with the comment as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub id: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// An open stream: its status, headers and the events that arrive.
pub struct Stream {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    events: Receiver<Event>,
}

impl Stream {
    /// Opens `url` with the request headers `headers`. An answer other than 200 is read
    /// whole into `body`.
    pub fn open(url: &str, headers: &[(&str, &str)]) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .proxy(None)
            .build()
            .into();
        let mut req = agent.get(url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let response = req.call().expect("the stream answers");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let (send, events) = channel();
        let mut body = String::new();
        if status != 200 {
            body = response.into_body().read_to_string().unwrap_or_default();
        } else {
            let reader = BufReader::new(response.into_body().into_reader());
            std::thread::spawn(move || {
                let mut event = Event {
                    name: String::new(),
                    id: None,
                    data: String::new(),
                };
                for line in reader.lines() {
                    let Ok(line) = line else { return };
                    if line.is_empty() {
                        if !event.data.is_empty() || !event.name.is_empty() {
                            if event.name.is_empty() {
                                event.name = "message".to_owned();
                            }
                            let done = std::mem::replace(
                                &mut event,
                                Event {
                                    name: String::new(),
                                    id: None,
                                    data: String::new(),
                                },
                            );
                            if send.send(done).is_err() {
                                return;
                            }
                        }
                        continue;
                    }
                    if let Some(comment) = line.strip_prefix(':') {
                        let heartbeat = Event {
                            name: ":".to_owned(),
                            id: None,
                            data: comment.trim().to_owned(),
                        };
                        if send.send(heartbeat).is_err() {
                            return;
                        }
                        continue;
                    }
                    let (field, value) = line.split_once(':').unwrap_or((&line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => event.name = value.to_owned(),
                        "id" => event.id = Some(value.to_owned()),
                        "data" if event.data.is_empty() => event.data = value.to_owned(),
                        "data" => event.data = format!("{}\n{value}", event.data),
                        _ => {}
                    }
                }
            });
        }
        Self {
            status,
            headers,
            body,
            events,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next event other than a heartbeat, within `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if event.name == ":" => continue,
                Ok(event) => return Some(event),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The next event or heartbeat, within `timeout`.
    pub fn next_any(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Every event that arrives within `quiet` of the one before.
    pub fn drain(&self, quiet: Duration) -> Vec<Event> {
        std::iter::from_fn(|| self.next(quiet)).collect()
    }
}
