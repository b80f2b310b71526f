//! The shop's settings through the settings page's form and the real router: the owner
//! saves them whole, a form with faults is refused with each at its field and changes
//! nothing, a picture that is not the shop's is no logo, and a manager may edit the
//! catalogue but not the shop.

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::staff::{MANAGER, OWNER};

fn shop_form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("name", "老王川菜馆"),
        ("timezone", "Asia/Shanghai"),
        ("address", "成都市武侯区科华北路 1 号"),
        ("margin_floor", "45"),
        ("auto_print", "on"),
        ("lat", "30.65"),
        ("lon", "104.06"),
        ("radius_m", "150"),
    ]
    .iter()
    .filter(|(name, _)| !fields.iter().any(|(changed, _)| changed == name))
    .chain(fields.iter())
    .map(|(name, value)| (format!("shop[{name}]"), (*value).to_owned()))
    .collect();
    form.retain(|(_, value)| value != "<absent>");
    form
}

fn fields_of(problem: &Value) -> Vec<String> {
    problem
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("field").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_owner_saves_the_shop_whole_and_a_form_with_faults_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.cookie_of(OWNER.0, OWNER.1).await;
    let post = |form: Vec<(String, String)>| {
        let (app, owner) = (&app, owner.clone());
        async move {
            let fields: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.console_form("/console/settings/shop", &owner, &fields)
                .await
        }
    };
    let (status, saved) = post(shop_form(&[])).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["margin_floor"], json!(45));
    assert_eq!(saved["auto_print"], json!(true));
    assert_eq!(saved["place"]["radius_m"], json!(150));

    let (status, refusal) = post(shop_form(&[
        ("name", " "),
        ("timezone", "Asia/Atlantis"),
        ("margin_floor", "120"),
        ("lon", "200"),
    ]))
    .await;
    assert_eq!(
        (status, refusal["code"].clone()),
        (422, json!("VALIDATION_FAILED"))
    );
    assert_eq!(
        fields_of(&refusal),
        ["name", "timezone", "margin_floor", "lon"]
    );

    // Nothing of the refused form was kept; unticking the box turns receipts off.
    let (status, view) = app.console_form("/console/settings", &owner, &[]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["shop"]["name"], json!("老王川菜馆"));
    assert_eq!(view["shop"]["timezone"], json!("Asia/Shanghai"));
    let (status, saved) = post(shop_form(&[("auto_print", "<absent>")])).await;
    assert_eq!((status, saved["auto_print"].clone()), (200, json!(false)));

    let (status, refusal) = post(shop_form(&[("logo", "someone-elses")])).await;
    assert_eq!(
        (status, fields_of(&refusal)),
        (422, vec!["logo".to_owned()])
    );
}

#[tokio::test]
async fn a_manager_edits_the_catalogue_but_not_the_shop() {
    let app = spawn_app().await;
    let manager = app.cookie_of(MANAGER.0, MANAGER.1).await;
    let (status, view) = app.console_form("/console/settings", &manager, &[]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["may_edit_shop"], json!(false));
    assert!(
        view["catalog"]["card_types"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    let form = shop_form(&[("name", "经理的店")]);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, refusal) = app
        .console_form("/console/settings/shop", &manager, &fields)
        .await;
    assert_eq!((status, refusal["code"].clone()), (403, json!("FORBIDDEN")));
}

/// A multipart form with one file, as a browser sends it.
fn multipart(field: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----mealquest-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &crate::helpers::TestApp,
    cookie: &str,
    form: (String, Vec<u8>),
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/console/settings/logo"))
        .header("cookie", cookie)
        .header("origin", app.origin())
        .header("accept", "application/json")
        .header("content-type", form.0)
        .body(form.1)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            u8::try_from(x % 256).unwrap_or(0),
            u8::try_from(y % 256).unwrap_or(0),
            60,
        ])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .expect("encodes");
    bytes.into_inner()
}

#[tokio::test]
async fn the_owners_upload_becomes_the_logo_and_what_is_not_a_picture_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.cookie_of(OWNER.0, OWNER.1).await;

    // A wide JPEG: fitted into a 512 square PNG, one of the shop's pictures, its logo.
    let (status, shop) = upload(
        &app,
        &owner,
        multipart("logo", "老王招牌.jpg", "image/jpeg", &jpeg(600, 300)),
    )
    .await;
    assert_eq!(status, 200, "{shop}");
    let logo = &shop["logo"];
    assert_eq!(logo["kind"], json!("LOGO"));
    assert_eq!(logo["title"], json!("老王招牌"));
    assert_eq!(
        (logo["width"].clone(), logo["height"].clone()),
        (json!(512), json!(512))
    );
    let thumbnail = app
        .get(logo["thumbnail"].as_str().expect("a thumbnail"))
        .await;
    assert_eq!(thumbnail.status().as_u16(), 200);
    let png = thumbnail.bytes().await.expect("read");
    assert!(png.starts_with(b"\x89PNG"), "the thumbnail is a PNG");
    let (_, view) = app.console_form("/console/settings", &owner, &[]).await;
    assert_eq!(view["shop"]["logo"]["asset_id"], logo["asset_id"]);

    // Not a picture, too large, or no file: refused at the field, the logo as it was.
    let text = multipart(
        "logo",
        "menu.txt",
        "text/plain",
        "麻婆豆腐 18 元".as_bytes(),
    );
    let too_large = multipart(
        "logo",
        "huge.jpg",
        "image/jpeg",
        &vec![0xFF; 2 * 1024 * 1024 + 10],
    );
    let elsewhere = multipart("picture", "a.jpg", "image/jpeg", &jpeg(64, 64));
    for form in [text, too_large, elsewhere] {
        let (status, problem) = upload(&app, &owner, form).await;
        assert_eq!(
            (status, fields_of(&problem)),
            (422, vec!["logo".to_owned()]),
            "{problem}"
        );
    }
    let (_, view) = app.console_form("/console/settings", &owner, &[]).await;
    assert_eq!(view["shop"]["logo"]["asset_id"], logo["asset_id"]);
}

#[tokio::test]
async fn a_manager_may_not_upload_the_logo() {
    let app = spawn_app().await;
    let manager = app.cookie_of(MANAGER.0, MANAGER.1).await;
    let (status, problem) = upload(
        &app,
        &manager,
        multipart("logo", "a.jpg", "image/jpeg", &jpeg(64, 64)),
    )
    .await;
    assert_eq!((status, problem["code"].clone()), (403, json!("FORBIDDEN")));
}
