//! How the API reads its arguments: JSON bodies and query strings turned into the checked
//! types of `domain::checked`, and a refusal that names the value at fault — 422
//! `VALIDATION_FAILED` with `field` (e.g. `tier.code`) — or, when the body is not JSON at
//! all, 400 `BAD_REQUEST`.

use bytes::Bytes;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::checked::{DinerId, MerchantId};
use crate::error::{Problem, Unreadable, without_position};

/// JSON in a POST body, read with the path of any value at fault.
pub type CheckedJson = Post<CheckedJsonEncoding>;

pub struct CheckedJsonEncoding;

impl ContentType for CheckedJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for CheckedJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for CheckedJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for CheckedJsonEncoding {
    type Error = Unreadable;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        // No body is no arguments: an operation that takes none needs none sent.
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let mut json = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut json).map_err(|err| {
            // Broken JSON is nobody's field: the body could not be read at all.
            if err.inner().is_syntax() || err.inner().is_eof() {
                Unreadable {
                    field: None,
                    message: without_position(&err.inner().to_string()),
                }
            } else {
                Unreadable::at(err)
            }
        })?;
        json.end().map_err(|e| Unreadable {
            field: None,
            message: without_position(&e.to_string()),
        })?;
        Ok(value)
    }
}

/// A form's text field read as its checked type, or the refusal that names it.
pub fn field<T: crate::domain::checked::CheckedText>(name: &str, text: &str) -> Result<T, Problem> {
    T::parse(text).map_err(|refused| Problem::invalid(name, refused))
}

/// The query of the diner's reads: which merchant.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MerchantQuery {
    pub merchant_id: MerchantId,
}

/// The query of the staff's reads: which diner (of the caller's merchant).
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DinerQuery {
    pub uid: DinerId,
}

/// Reads the request's query string as `T`, refusing it as [`refusal`] does.
#[cfg(feature = "ssr")]
pub fn query<T: DeserializeOwned>() -> Result<T, Problem> {
    let parts = leptos::prelude::use_context::<http::request::Parts>();
    let text = parts
        .as_ref()
        .and_then(|parts| parts.uri.query())
        .unwrap_or_default();
    let read = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text.as_bytes()));
    serde_path_to_error::deserialize(read).map_err(|err| {
        let problem = crate::error::refusal(&Unreadable::at(err).to_string());
        crate::error::set_response_status(&problem);
        problem
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checked::{CheckedText, Code, Count};
    use crate::error::{ErrorCode, refusal};

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Tier {
        code: Code,
        count: Count<1, 9>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Save {
        merchant_id: MerchantId,
        tier: Tier,
    }

    fn read(json: &str) -> Problem {
        match <CheckedJsonEncoding as Decodes<Save>>::decode(Bytes::from(json.to_owned())) {
            Ok(_) => Problem::new(ErrorCode::Internal, "accepted"),
            Err(err) => refusal(&err.to_string()),
        }
    }

    #[test]
    fn a_value_at_fault_is_named_with_its_path() {
        let problem = read(r#"{"merchant_id":"demo","tier":{"code":"bad code","count":1}}"#);
        assert_eq!(problem.code, ErrorCode::ValidationFailed);
        assert_eq!(problem.status, 422);
        assert_eq!(problem.field.as_deref(), Some("tier.code"));
        assert!(problem.detail.contains(Code::RULE), "{}", problem.detail);
        assert!(!problem.detail.contains("line 1"), "{}", problem.detail);

        let problem = read(r#"{"merchant_id":"","tier":{"code":"A","count":1}}"#);
        assert_eq!(problem.field.as_deref(), Some("merchant_id"));

        let problem = read(r#"{"merchant_id":"demo","tier":{"code":"A","count":10}}"#);
        assert_eq!(problem.field.as_deref(), Some("tier.count"));
    }

    #[test]
    fn a_missing_value_is_named_too() {
        let problem = read(r#"{"tier":{"code":"A","count":1}}"#);
        assert_eq!(problem.field.as_deref(), Some("merchant_id"));
        let problem = read(r#"{"merchant_id":"demo","tier":{"code":"A"}}"#);
        assert_eq!(problem.field.as_deref(), Some("tier.count"));
        assert_eq!(problem.status, 422);
    }

    #[test]
    fn no_body_is_no_arguments() {
        let problem = read("");
        assert_eq!(problem.field.as_deref(), Some("merchant_id"), "{problem:?}");
    }

    #[test]
    fn what_is_not_json_is_a_bad_request() {
        for body in [
            "{",
            "nonsense",
            r#"{"merchant_id":"demo","tier":{"code":"A","count":1}} trailing"#,
        ] {
            let problem = read(body);
            assert_eq!(problem.code, ErrorCode::BadRequest, "{body:?}");
            assert_eq!(problem.field, None);
        }
    }
}
