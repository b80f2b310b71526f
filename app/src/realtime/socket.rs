//! `GET /ws`: one signed-in caller's live events.
//!
//! Authenticated like the API (`Authorization: Bearer …`) or, from a browser that cannot set
//! headers there, with a 60-second `?ticket=` from `POST /api/realtime/ticket`. A diner hears
//! their own events, staff their merchant's. `?after=N` resumes: the events numbered above N
//! are replayed from the log, then `READY`, then live ones — no gap, no duplicate.
//!
//! A socket lives no longer than its session: it closes with 4001 when the session is
//! ended in this process (sign-out, account disabled), and checks the session every
//! `realtime.session_check_secs` for what happened elsewhere (or its expiry).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use db::Db;
use db::events::Span;
use http::HeaderMap;
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::time::{Instant, MissedTickBehavior};

use super::hub::Subscription;
use crate::auth::AuthError;
use crate::error::AppError;
use crate::model::realtime::hears;
use crate::model::realtime::{Control, Recipient, close_code};
use crate::service::auth::Caller;
use crate::state::AppState;

/// The longest one frame may take to leave (a client that stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Each socket's read buffer.
const SOCKET_BUFFER: usize = 4096;

/// The largest message a client may send (it has nothing to say beyond pongs).
const MAX_CLIENT_MESSAGE: usize = 4096;

/// How long the closing frame may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Events read from the log per round of a replay.
const REPLAY_BATCH: u32 = 500;

/// The query string of `GET /ws`.
#[derive(Debug, Default, Deserialize)]
pub struct Connect {
    /// The last `seq` the client saw; absent: live events only.
    pub after: Option<i64>,
    /// A socket ticket (browsers); otherwise the bearer token header.
    pub ticket: Option<String>,
}

/// Authenticates, then upgrades to the socket.
pub async fn upgrade(
    State(state): State<AppState>,
    Query(connect): Query<Connect>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let caller = authenticate(&state, &headers, connect.ticket.as_deref()).await?;
    let recipient = Recipient::of(&caller.principal).key();
    // Small buffers: the defaults (128 KiB each way) cost ~140 KB per idle socket, and our
    // frames are a few hundred bytes; clients only ever send control frames.
    let upgrade = upgrade
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE);
    Ok(upgrade.on_upgrade(move |socket| async move {
        let mut session = Session {
            socket,
            db: state.db.clone(),
            closing: state.realtime.closing(),
            recipient,
            caller,
        };
        let reason = session.serve(&state, connect.after).await;
        session.close(reason).await;
    }))
}

/// The caller of a socket request: a ticket when given, else the bearer token; either way
/// with its session checked.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ticket: Option<&str>,
) -> Result<Caller, AppError> {
    let now = chrono::Utc::now();
    if let Some(ticket) = ticket {
        return crate::service::auth::authenticate_ticket(state, ticket.trim(), now).await;
    }
    let token = crate::api::gate::bearer_token(headers).ok_or(AuthError::Missing)?;
    crate::service::auth::authenticate(state, token, now).await
}

/// Why a socket ends.
#[derive(Debug)]
enum End {
    /// The client closed it or the connection broke: nothing more to say.
    Gone,
    Stopping,
    TooSlow,
    NoPong,
    /// The session ended (signed out, account disabled, expired).
    SessionEnded,
    Failed(String),
}

struct Session {
    socket: WebSocket,
    db: Db,
    /// Becomes true when the server starts stopping.
    closing: tokio::sync::watch::Receiver<bool>,
    recipient: String,
    caller: Caller,
}

impl Session {
    async fn serve(&mut self, state: &AppState, after: Option<i64>) -> End {
        let span = match db::events::span(&self.db, &self.recipient).await {
            Ok(span) => span,
            Err(err) => return End::Failed(err.to_string()),
        };
        // Subscribe first, then replay to the end of the log: whatever is numbered meanwhile
        // is in one or the other.
        let mut subscription = state.realtime.subscribe(&self.recipient, span.last);
        let mut cursor = match self.start(after, span).await {
            Ok(cursor) => cursor,
            Err(end) => return end,
        };
        self.live(&mut subscription, state, &mut cursor).await
    }

    /// Replays what the client missed, then says READY; says RESET first when the log no
    /// longer holds it all. Returns the last number sent.
    async fn start(&mut self, after: Option<i64>, span: Span) -> Result<i64, End> {
        let resume_from = match after {
            None => span.last,
            Some(seen) if can_resume(seen, span) => seen,
            Some(_) => {
                self.send_control(&Control::Reset {
                    seq: number(span.last),
                })
                .await?;
                span.last
            }
        };
        let cursor = self.replay(resume_from).await?;
        self.send_control(&Control::Ready {
            seq: number(cursor),
        })
        .await?;
        Ok(cursor)
    }

    /// Sends the log's events after `cursor`, to its end; returns the last number sent.
    async fn replay(&mut self, mut cursor: i64) -> Result<i64, End> {
        loop {
            if *self.closing.borrow() {
                return Err(End::Stopping);
            }
            let events = db::events::after(&self.db, &self.recipient, cursor, REPLAY_BATCH)
                .await
                .map_err(|err| End::Failed(err.to_string()))?;
            for event in &events {
                if event.seq > cursor + 1 {
                    // Purged between the check and this read: the client cannot be brought
                    // up to date event by event, and must be told so.
                    self.send_control(&Control::Reset {
                        seq: number(event.seq - 1),
                    })
                    .await?;
                }
                cursor = event.seq;
                // An event this build cannot read (a bug, or an incompatible change of its
                // fields) is logged and skipped, as the hub does: failing the socket would
                // only make the client reconnect into the same event forever.
                let text = match super::hub::render(event) {
                    Ok((text, needs)) if hears(&self.caller.principal, needs) => text,
                    // Not for this member of staff's role: the number is skipped.
                    Ok(_) => continue,
                    Err(err) => {
                        tracing::error!(error = %err, "cannot render an event; skipped");
                        continue;
                    }
                };
                self.send(Message::Text(text)).await?;
            }
            if events.len() < usize::try_from(REPLAY_BATCH).unwrap_or(0) {
                return Ok(cursor);
            }
        }
    }

    /// Live frames, pings and the client's messages until the socket ends.
    async fn live(
        &mut self,
        subscription: &mut Subscription,
        state: &AppState,
        cursor: &mut i64,
    ) -> End {
        let mut closing = self.closing.clone();
        let every = state.realtime.heartbeat();
        let mut heartbeat = tokio::time::interval_at(Instant::now() + every, every);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut ended_sessions = state.realtime.ended_sessions();
        let check_every = state.realtime.session_check();
        let mut session_check = tokio::time::interval_at(Instant::now() + check_every, check_every);
        session_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                delivery = subscription.frames.recv() => match delivery {
                    Some(delivery) if delivery.seq <= *cursor => Ok(()),
                    // The hub skipped a number (an event it could not render): the log decides.
                    Some(delivery) if delivery.seq > *cursor + 1 => {
                        self.replay(*cursor).await.map(|sent| *cursor = sent)
                    }
                    Some(delivery) if !hears(&self.caller.principal, delivery.needs) => {
                        *cursor = delivery.seq;
                        Ok(())
                    }
                    Some(delivery) => {
                        *cursor = delivery.seq;
                        // A client too slow to take this frame is dropped by the hub meanwhile.
                        tokio::select! {
                            sent = self.send(Message::Text(delivery.text)) => sent,
                            () = subscription.dropped.notified() => Err(End::TooSlow),
                        }
                    }
                    None => Err(End::TooSlow),
                },
                () = subscription.dropped.notified() => Err(End::TooSlow),
                () = stopping(&mut closing) => Err(End::Stopping),
                message = self.socket.recv() => match message {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(End::Gone),
                    Some(Ok(_)) => {
                        last_heard = Instant::now();
                        Ok(())
                    }
                },
                ended = ended_sessions.recv() => match ended {
                    Ok(sessions) if sessions.contains(&self.caller.session) => {
                        Err(End::SessionEnded)
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Closed) => Ok(()),
                    // Missed some: ask the database.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.check_session(state).await,
                },
                _ = session_check.tick() => self.check_session(state).await,
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > every * 2 {
                        Err(End::NoPong)
                    } else {
                        self.send(Message::Ping(Default::default())).await
                    }
                }
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    // `&mut self`: the socket is not `Sync`, so a shared borrow cannot cross an await.
    async fn check_session(&mut self, state: &AppState) -> Result<(), End> {
        if crate::service::auth::still_valid(state, &self.caller, chrono::Utc::now()).await {
            Ok(())
        } else {
            Err(End::SessionEnded)
        }
    }

    async fn send_control(&mut self, control: &Control) -> Result<(), End> {
        let text = serde_json::to_string(control).map_err(|e| End::Failed(e.to_string()))?;
        self.send(Message::Text(text.into())).await
    }

    /// Sends one message, giving up on a client that does not take it in time.
    async fn send(&mut self, message: Message) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::TooSlow),
        }
    }

    /// Says why, when there is someone to say it to.
    async fn close(mut self, end: End) {
        let (code, reason) = match &end {
            End::Gone => return,
            End::Stopping => (1001, "server stopping"),
            End::TooSlow => (
                close_code::TOO_SLOW,
                "too slow: reconnect with your last seq",
            ),
            End::NoPong => (close_code::NO_PONG, "no pong"),
            End::SessionEnded => (close_code::SESSION_ENDED, "session ended: sign in again"),
            End::Failed(detail) => {
                tracing::warn!(detail, recipient = %self.recipient, "socket failed");
                (1011, "internal error: reconnect with your last seq")
            }
        };
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        // A client that stopped reading may never take this frame: try briefly, then drop.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.socket.send(Message::Close(Some(frame))))
            .await;
    }
}

/// Resolves once the server is stopping.
async fn stopping(closing: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, not held across the socket's awaits.
    let _ = closing.wait_for(|stopping| *stopping).await;
}

/// Whether the log still holds every event after `seen` (nothing purged in between, and
/// `seen` is not from some other log).
fn can_resume(seen: i64, span: Span) -> bool {
    match span.first_kept {
        _ if seen == span.last => true,
        _ if seen < 0 || seen > span.last => false,
        Some(first) => first <= seen + 1,
        None => false,
    }
}

/// A sequence number as frames show it.
fn number(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(last: i64, first_kept: Option<i64>) -> Span {
        Span { last, first_kept }
    }

    #[test]
    fn a_client_resumes_only_when_nothing_it_missed_was_purged() {
        assert!(can_resume(0, span(0, None)), "nothing yet");
        assert!(can_resume(3, span(7, Some(1))));
        assert!(
            can_resume(3, span(7, Some(4))),
            "4 is the first missed and kept"
        );
        assert!(!can_resume(3, span(7, Some(5))), "4 was purged");
        assert!(can_resume(7, span(7, None)), "up to date, all purged");
        assert!(!can_resume(2, span(7, None)), "missed events all purged");
        assert!(!can_resume(9, span(7, Some(1))), "from another log");
        assert!(!can_resume(-1, span(7, Some(1))));
    }
}
