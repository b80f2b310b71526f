//! Scanning with the device's camera (a tablet or phone at the counter): the browser's own
//! `BarcodeDetector` where it has one, else frames read with `rqrr` in wasm (`qr_image`).
//! The camera closes after each code read; the answer shows as for the scan box.

use leptos::prelude::*;

use crate::i18n::*;

/// A button that opens the camera; a code it reads goes to `on_code`. Shown once the page
/// runs its script (the camera needs it). `testid` names its parts for tests.
#[component]
pub fn CameraScan(on_code: Callback<String>, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let open = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let video = NodeRef::<leptos::html::Video>::new();
    #[cfg(feature = "hydrate")]
    browser::run_camera(open, failed, video, on_code);
    #[cfg(not(feature = "hydrate"))]
    let _ = on_code;
    view! {
        <Show when=move || scripted.get()>
            <div class="flex flex-col items-start gap-3">
                <button
                    type="button"
                    data-testid=format!("{testid}-toggle")
                    class="rounded-xl px-4 py-2 text-base font-semibold text-red-800 ring-2 ring-red-200 hover:bg-red-50"
                    on:click=move |_| {
                        failed.set(false);
                        open.update(|open| *open = !*open);
                    }
                >
                    {move || {
                        if open.get() {
                            t_string!(i18n, cashier.camera_stop)
                        } else {
                            t_string!(i18n, cashier.camera)
                        }
                    }}
                </button>
                <Show when=move || open.get()>
                    <video
                        node_ref=video
                        autoplay
                        playsinline
                        muted
                        data-testid=format!("{testid}-view")
                        class="aspect-video w-full max-w-md rounded-xl bg-stone-900 object-cover"
                    ></video>
                    <p class="text-sm text-stone-500">{t!(i18n, cashier.camera_hint)}</p>
                </Show>
                <Show when=move || failed.get()>
                    <p role="alert" data-testid=format!("{testid}-failed") class="text-sm text-red-800">
                        {t!(i18n, cashier.camera_unavailable)}
                    </p>
                </Show>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use js_sys::{Array, Function, Object, Promise, Reflect};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream};

    /// How often a frame is looked at.
    const EVERY: Duration = Duration::from_millis(150);
    /// Frames wider than this are scaled down before `rqrr` reads them.
    const READ_WIDTH: u32 = 800;

    /// One open camera: its stream and the timer reading its frames.
    struct Session {
        stream: MediaStream,
        timer: Option<IntervalHandle>,
    }

    impl Session {
        fn close(self) {
            if let Some(timer) = self.timer {
                timer.clear();
            }
            stop(&self.stream);
        }
    }

    /// Turns the camera off (its light too).
    fn stop(stream: &MediaStream) {
        for track in stream.get_tracks() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }

    /// Opens the camera when `open` turns on (and its video element is on the page), closes
    /// it when `open` turns off or the component goes. Each start is numbered: a start that
    /// finishes after a newer one began, or after the camera was closed or the page left,
    /// lets its camera go at once and touches nothing else.
    pub fn run_camera(
        open: RwSignal<bool>,
        failed: RwSignal<bool>,
        video: NodeRef<leptos::html::Video>,
        on_code: Callback<String>,
    ) {
        let session: Rc<RefCell<Option<Session>>> = Rc::new(RefCell::new(None));
        let latest = Rc::new(Cell::new(0_u64));
        let (closing, gone) = (
            send_wrapper::SendWrapper::new(Rc::clone(&session)),
            send_wrapper::SendWrapper::new(Rc::clone(&latest)),
        );
        on_cleanup(move || {
            // No start in flight may count once the component is gone.
            gone.set(gone.get().wrapping_add(1));
            close(&closing);
        });
        Effect::new(move |_| {
            let wanted = open.get();
            let element = video.get();
            let this_start = latest.get().wrapping_add(1);
            latest.set(this_start);
            close(&session);
            let (true, Some(element)) = (wanted, element) else {
                return;
            };
            if !element.is_connected() {
                return;
            }
            let (session, latest) = (Rc::clone(&session), Rc::clone(&latest));
            spawn_local(async move {
                let started = start(&element).await;
                let current = latest.get() == this_start && open.try_get_untracked() == Some(true);
                match started {
                    Ok(stream) if current => {
                        let timer = watch(element, open, on_code);
                        *session.borrow_mut() = Some(Session { stream, timer });
                    }
                    Ok(stream) => stop(&stream),
                    Err(error) if current => {
                        leptos::logging::warn!("camera: {error:?}");
                        let _ = open.try_set(false);
                        let _ = failed.try_set(true);
                    }
                    Err(_) => {}
                }
            });
        });
    }

    fn close(session: &Rc<RefCell<Option<Session>>>) {
        if let Some(open) = session.borrow_mut().take() {
            open.close();
        }
    }

    /// The back camera (a phone's or tablet's), playing in `video`. On failure nothing is
    /// left running.
    async fn start(video: &HtmlVideoElement) -> Result<MediaStream, JsValue> {
        let devices = window().navigator().media_devices()?;
        let constraints = web_sys::MediaStreamConstraints::new();
        let wanted = Object::new();
        Reflect::set(&wanted, &"facingMode".into(), &"environment".into())?;
        constraints.set_video(&wanted);
        constraints.set_audio_bool(false);
        let stream: MediaStream =
            JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
                .await?
                .dyn_into()?;
        video.set_src_object(Some(&stream));
        let playing = match video.play() {
            Ok(promise) => JsFuture::from(promise).await.map(drop),
            Err(error) => Err(error),
        };
        match playing {
            Ok(()) => Ok(stream),
            Err(error) => {
                stop(&stream);
                Err(error)
            }
        }
    }

    /// Reads a frame every `EVERY` until a code is found: the camera closes (`open` off) and
    /// the code goes to `on_code`.
    fn watch(
        video: HtmlVideoElement,
        open: RwSignal<bool>,
        on_code: Callback<String>,
    ) -> Option<IntervalHandle> {
        let detector = barcode_detector();
        let canvas: HtmlCanvasElement =
            document().create_element("canvas").ok()?.dyn_into().ok()?;
        let busy = Rc::new(Cell::new(false));
        let tick = move || {
            if busy.replace(true) {
                return;
            }
            let (video, canvas, detector, busy) = (
                video.clone(),
                canvas.clone(),
                detector.clone(),
                Rc::clone(&busy),
            );
            spawn_local(async move {
                let code = match &detector {
                    Some(detector) => detect(detector, &video).await,
                    None => read_frame(&video, &canvas),
                };
                busy.set(false);
                // Only the first code read while the camera is open counts (and none once
                // the page has gone: its signals are then disposed).
                if let Some(code) = code.filter(|code| !code.trim().is_empty())
                    && open.try_get_untracked() == Some(true)
                {
                    let _ = open.try_set(false);
                    on_code.run(code);
                }
            });
        };
        set_interval_with_handle(tick, EVERY).ok()
    }

    /// The browser's `BarcodeDetector` for QR codes, where it has one.
    fn barcode_detector() -> Option<Object> {
        let class: Function = Reflect::get(&window(), &"BarcodeDetector".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        let formats = Array::of1(&"qr_code".into());
        Reflect::set(&options, &"formats".into(), &formats).ok()?;
        Reflect::construct(&class, &Array::of1(&options))
            .ok()?
            .dyn_into()
            .ok()
    }

    async fn detect(detector: &Object, video: &HtmlVideoElement) -> Option<String> {
        let detect: Function = Reflect::get(detector, &"detect".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let found: Promise = detect.call1(detector, video).ok()?.dyn_into().ok()?;
        let found = Array::from(&JsFuture::from(found).await.ok()?);
        Reflect::get(&found.get(0), &"rawValue".into())
            .ok()?
            .as_string()
    }

    /// The current frame, drawn on `canvas` (scaled to at most `READ_WIDTH` wide) and read.
    fn read_frame(video: &HtmlVideoElement, canvas: &HtmlCanvasElement) -> Option<String> {
        const HAVE_CURRENT_DATA: u16 = 2;
        let (width, height) = (video.video_width(), video.video_height());
        if video.ready_state() < HAVE_CURRENT_DATA || width == 0 || height == 0 {
            return None;
        }
        let (width, height) = if width > READ_WIDTH {
            let scaled = u64::from(height) * u64::from(READ_WIDTH) / u64::from(width);
            (READ_WIDTH, u32::try_from(scaled).ok()?.max(1))
        } else {
            (width, height)
        };
        canvas.set_width(width);
        canvas.set_height(height);
        let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        let (w, h) = (f64::from(width), f64::from(height));
        context
            .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)
            .ok()?;
        let pixels = context.get_image_data(0.0, 0.0, w, h).ok()?.data();
        let (width, height) = (usize::try_from(width).ok()?, usize::try_from(height).ok()?);
        crate::qr_image::decode_rgba(width, height, &pixels)
    }
}
