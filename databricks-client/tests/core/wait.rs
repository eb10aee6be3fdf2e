//! The generic waiter: growing interval, last state on timeout, drop-safe.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use databricks_client::wait::{
    Observation, Observer, Outcome, PollOptions, Progress, WaitError, poll_until,
    poll_until_observed,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::pat_client;

struct States(Vec<&'static str>, Arc<AtomicUsize>);

impl Respond for States {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, Ordering::SeqCst);
        let state = self.0[n.min(self.0.len() - 1)];
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "w1", "state": state}))
    }
}

fn fast() -> PollOptions {
    PollOptions::default()
        .with_initial_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(40))
        .with_timeout(Duration::from_secs(5))
}

async fn server_with(states: Vec<&'static str>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/w1"))
        .respond_with(States(states, Arc::clone(&calls)))
        .mount(&server)
        .await;
    (server, calls)
}

async fn wait_running(
    server: &MockServer,
    options: &PollOptions,
) -> Result<String, WaitError<String>> {
    let client = pat_client(server);
    poll_until(options, "warehouse w1 to run", || {
        let client = client.clone();
        async move {
            let v: serde_json::Value = client.get("/api/2.0/sql/warehouses/w1").send_json().await?;
            let state = v["state"].as_str().unwrap_or_default().to_owned();
            Ok(match state.as_str() {
                "RUNNING" => Progress::Ready(state),
                "STOPPED" | "DELETED" => Progress::Failed {
                    state,
                    message: "warehouse stopped".into(),
                },
                _ => Progress::Pending(state),
            })
        }
    })
    .await
}

#[tokio::test]
async fn polls_until_ready() {
    let (server, calls) = server_with(vec!["STARTING", "STARTING", "RUNNING"]).await;
    assert_eq!(wait_running(&server, &fast()).await.unwrap(), "RUNNING");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn failure_state_ends_the_wait() {
    let (server, _) = server_with(vec!["STARTING", "STOPPED"]).await;
    match wait_running(&server, &fast()).await.unwrap_err() {
        WaitError::Failed { state, message, .. } => {
            assert_eq!(state, "STOPPED");
            assert_eq!(message, "warehouse stopped");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn timeout_returns_the_last_observed_state() {
    let (server, calls) = server_with(vec!["STARTING"]).await;
    let options = fast().with_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let err = wait_running(&server, &options).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.last_state().map(String::as_str), Some("STARTING"));
    // The interval grows: far fewer polls than 200 ms / 10 ms.
    let n = calls.load(Ordering::SeqCst);
    assert!((3..15).contains(&n), "{n} polls");
    let as_error: databricks_client::Error = err.into();
    assert!(as_error.is_timeout());
    assert!(
        as_error.to_string().contains("last state: \"STARTING\""),
        "{as_error}"
    );
}

#[tokio::test]
async fn dropping_the_waiter_stops_polling() {
    let (server, calls) = server_with(vec!["STARTING"]).await;
    let options = fast();
    let waiting = wait_running(&server, &options);
    let _ = tokio::time::timeout(Duration::from_millis(100), waiting).await;
    let seen = calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(calls.load(Ordering::SeqCst), seen, "no polls after drop");
}

/// Records every observation; cancels once `cancel_after` polls were seen.
#[derive(Default)]
struct Recorder {
    seen: Vec<(String, Outcome, u32, Duration, Duration)>,
    cancel_after: Option<u32>,
}

impl Observer<String> for Recorder {
    async fn observe(&mut self, o: Observation<'_, String>) {
        self.seen
            .push((o.state.clone(), o.outcome, o.polls, o.elapsed, o.remaining));
    }

    async fn cancelled(&self) {
        match self.cancel_after {
            Some(n) if self.seen.len() >= n as usize => {}
            _ => std::future::pending().await,
        }
    }
}

async fn observe_running(
    server: &MockServer,
    options: &PollOptions,
    recorder: &mut Recorder,
) -> Result<String, WaitError<String>> {
    let client = pat_client(server);
    poll_until_observed(
        options,
        "warehouse w1 to run",
        || {
            let client = client.clone();
            async move {
                let v: serde_json::Value =
                    client.get("/api/2.0/sql/warehouses/w1").send_json().await?;
                let state = v["state"].as_str().unwrap_or_default().to_owned();
                Ok(match state.as_str() {
                    "RUNNING" => Progress::Ready(state),
                    "STOPPED" => Progress::Failed {
                        state,
                        message: "warehouse stopped".into(),
                    },
                    _ => Progress::Pending(state),
                })
            }
        },
        recorder,
    )
    .await
}

#[tokio::test]
async fn observer_sees_every_poll_in_order() {
    let (server, calls) = server_with(vec!["STARTING", "STARTING", "RUNNING"]).await;
    let mut recorder = Recorder::default();
    let state = observe_running(&server, &fast(), &mut recorder)
        .await
        .unwrap();
    assert_eq!(state, "RUNNING");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let states: Vec<_> = recorder
        .seen
        .iter()
        .map(|(s, o, n, _, _)| (s.as_str(), *o, *n))
        .collect();
    assert_eq!(
        states,
        [
            ("STARTING", Outcome::Pending, 1),
            ("STARTING", Outcome::Pending, 2),
            ("RUNNING", Outcome::Ready, 3),
        ]
    );
    assert!(
        recorder.seen.windows(2).all(|w| w[0].3 <= w[1].3),
        "elapsed grows"
    );
    assert!(
        recorder.seen.iter().all(|s| s.4 > Duration::ZERO),
        "time left on each"
    );
    assert!(recorder.seen[2].1.is_terminal() && !recorder.seen[0].1.is_terminal());
}

#[tokio::test]
async fn observer_sees_the_failure_and_the_last_poll_before_a_timeout() {
    let (server, _) = server_with(vec!["STARTING", "STOPPED"]).await;
    let mut recorder = Recorder::default();
    let err = observe_running(&server, &fast(), &mut recorder)
        .await
        .unwrap_err();
    assert!(matches!(err, WaitError::Failed { .. }), "{err:?}");
    assert_eq!(recorder.seen.last().unwrap().1, Outcome::Failed);

    // A zero timeout polls once, shows it as the last one (nothing remaining), and times out.
    let (server, calls) = server_with(vec!["STARTING"]).await;
    let mut recorder = Recorder::default();
    let err = observe_running(&server, &fast().with_timeout(Duration::ZERO), &mut recorder)
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(err.last_state().map(String::as_str), Some("STARTING"));
    assert_eq!(recorder.seen.len(), 1);
    assert_eq!(recorder.seen[0].4, Duration::ZERO);
}

#[tokio::test]
async fn observer_cancels_the_wait_and_keeps_the_last_state() {
    let (server, calls) = server_with(vec!["STARTING", "STARTING", "STARTING", "RUNNING"]).await;
    let mut recorder = Recorder {
        cancel_after: Some(2),
        ..Recorder::default()
    };
    let err = observe_running(&server, &fast(), &mut recorder)
        .await
        .unwrap_err();
    match &err {
        WaitError::Cancelled { last, what, .. } => {
            assert_eq!(last.as_deref(), Some("STARTING"));
            assert_eq!(what, "warehouse w1 to run");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no poll after the cancel");
    let as_error: databricks_client::Error = err.into();
    assert!(
        matches!(as_error, databricks_client::Error::WaitCancelled { .. }),
        "{as_error:?}"
    );
    assert!(!as_error.is_timeout());
    assert!(as_error.to_string().contains("cancelled"), "{as_error}");
}
