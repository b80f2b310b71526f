//! The browser side of the real-time channel (docs/realtime.md): a page subscribes with
//! [`use_live_events`] and gets every event of its signed-in user as it happens. The socket
//! is opened with a ticket (the session cookie pays for it), and after any close it is opened
//! again with the last `seq` seen, so nothing is missed or repeated.

use chrono::{DateTime, FixedOffset, Utc};

use crate::api::realtime::Frame;

/// Calls `on_frame` with each event frame from now on, in order, while the calling
/// component lives. On the server this does nothing: sockets are the browser's.
pub fn use_live_events(on_frame: impl Fn(Frame) + 'static) {
    use_live_events_after(None, on_frame);
}

/// [`use_live_events`], starting after event `after` (the last one the page already shows).
pub fn use_live_events_after(after: Option<u64>, on_frame: impl Fn(Frame) + 'static) {
    #[cfg(feature = "hydrate")]
    browser::subscribe(after, on_frame);
    #[cfg(not(feature = "hydrate"))]
    let _ = (after, on_frame);
}

/// `at` on the shop's clock (`utc_offset` seconds east of UTC). The server renders it and
/// the browser hydrates it the same way, whatever the device's own time zone.
pub fn shop_time(at: DateTime<Utc>, utc_offset: i32) -> DateTime<FixedOffset> {
    use chrono::Offset;
    // An offset out of range (±24 h) cannot come from a time zone; UTC then.
    let offset = FixedOffset::east_opt(utc_offset).unwrap_or_else(|| Utc.fix());
    at.with_timezone(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_time_is_the_shops_clock() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T17:30:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        assert_eq!(
            shop_time(at, 8 * 3600).format("%H:%M %F").to_string(),
            "01:30 2026-11-26"
        );
        assert_eq!(shop_time(at, 0).format("%H:%M").to_string(), "17:30");
        assert_eq!(
            shop_time(at, 99 * 3600).format("%H:%M").to_string(),
            "17:30"
        );
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use crate::api::realtime::{Control, Frame, realtime_ticket};

    /// How long to wait before opening the socket again.
    const RECONNECT_MS: i32 = 1500;

    type Handlers = (
        Closure<dyn FnMut(MessageEvent)>,
        Closure<dyn FnMut(CloseEvent)>,
    );

    struct Live {
        on_frame: Box<dyn Fn(Frame)>,
        /// The last `seq` handled: the resume point.
        last: Cell<Option<u64>>,
        socket: RefCell<Option<WebSocket>>,
        /// The open socket's handlers, kept (not leaked) until it is replaced or the page goes.
        handlers: RefCell<Option<Handlers>>,
        ended: Cell<bool>,
    }

    impl Live {
        /// Closes the socket and drops its handlers (which breaks their cycle with `self`).
        fn close(&self) {
            if let Some(socket) = self.socket.borrow_mut().take() {
                socket.set_onmessage(None);
                socket.set_onclose(None);
                let _ = socket.close();
            }
            self.handlers.borrow_mut().take();
        }
    }

    pub fn subscribe(after: Option<u64>, on_frame: impl Fn(Frame) + 'static) {
        let live = Rc::new(Live {
            on_frame: Box::new(on_frame),
            last: Cell::new(after),
            socket: RefCell::new(None),
            handlers: RefCell::new(None),
            ended: Cell::new(false),
        });
        // Cleanup must be Send; in the browser it runs on the one thread there is.
        let on_leave = send_wrapper::SendWrapper::new(Rc::clone(&live));
        on_cleanup(move || {
            on_leave.ended.set(true);
            on_leave.close();
        });
        connect(live);
    }

    fn connect(live: Rc<Live>) {
        spawn_local(async move {
            if live.ended.get() {
                return;
            }
            let Ok(ticket) = realtime_ticket().await else {
                retry(live);
                return;
            };
            // The page may have gone while the ticket was on its way.
            if live.ended.get() {
                return;
            }
            let Some(url) = socket_url(&ticket.ticket, live.last.get()) else {
                return;
            };
            let Ok(socket) = WebSocket::new(&url) else {
                retry(live);
                return;
            };
            let on_message = {
                let live = Rc::clone(&live);
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let Some(text) = event.data().as_string() else {
                        return;
                    };
                    if let Ok(frame) = serde_json::from_str::<Frame>(&text) {
                        if live.last.get().is_none_or(|last| frame.seq > last) {
                            live.last.set(Some(frame.seq));
                            (live.on_frame)(frame);
                        }
                    } else {
                        match serde_json::from_str::<Control>(&text) {
                            // Where this socket stands, even before any event.
                            Ok(Control::Ready { seq }) => live
                                .last
                                .set(Some(live.last.get().map_or(seq, |last| last.max(seq)))),
                            // What the page shows can no longer be brought up to date event
                            // by event: load it afresh (rare: a day away, or a new database).
                            Ok(Control::Reset { .. }) => {
                                // (Not `close()`: this handler is running; the reload ends all.)
                                live.ended.set(true);
                                if let Some(window) = web_sys::window() {
                                    let _ = window.location().reload();
                                }
                            }
                            Err(_) => {}
                        }
                    }
                })
            };
            let on_close = {
                let live = Rc::clone(&live);
                Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| retry(Rc::clone(&live)))
            };
            socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            // The previous socket (closed, or it would not be replaced) goes with its handlers.
            live.close();
            *live.handlers.borrow_mut() = Some((on_message, on_close));
            *live.socket.borrow_mut() = Some(socket);
        });
    }

    /// Opens the socket again after a pause (unless the page went away).
    fn retry(live: Rc<Live>) {
        if live.ended.get() {
            return;
        }
        let again = Closure::once(move || connect(live));
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                again.as_ref().unchecked_ref(),
                RECONNECT_MS,
            );
        }
        again.forget();
    }

    /// `ws(s)://<this host>/ws?ticket=…[&after=…]`.
    fn socket_url(ticket: &str, after: Option<u64>) -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().ok()?;
        let resume = after.map(|seq| format!("&after={seq}")).unwrap_or_default();
        Some(format!("{scheme}://{host}/ws?ticket={ticket}{resume}"))
    }
}
