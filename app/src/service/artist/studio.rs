//! Where the Artist's pictures are drawn and kept: the image model (the configured provider,
//! guarded, else the offline painter — which also answers when the provider fails) and the
//! object store the pictures live in under their content hash (a local directory by default,
//! S3 or an S3-compatible store such as OSS by configuration).

use std::sync::Arc;

use bytes::Bytes;
use llm::{Drawn, ImageModel, ImageRequest, LocalPainter, Look, VisionModel};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::domain::artwork::{ART_PREFIX, THUMBNAIL_SIDE, Variant, content_hash};
use crate::error::AppError;

/// The image models and the store.
#[derive(Clone, Debug)]
pub struct Studio {
    local: LocalPainter,
    remote: Option<Arc<dyn ImageModel>>,
    /// Looks at the provider's pictures before a boss sees them, when configured.
    vision: Option<Arc<dyn VisionModel>>,
    store: Arc<dyn ObjectStore>,
}

/// What the vision model made of a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    /// Looked at and fit to show, by this model.
    Passed { model: String },
    /// Broken or unfit, and why (the picture is then deleted).
    Refused { reason: String },
    /// Not looked at: no vision model, or it failed (the review's own checks stand).
    Skipped,
}

/// Pictures drawn, and whether the offline painter drew them because the provider failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Painted {
    pub drawn: Drawn,
    pub degraded: bool,
}

/// A picture the review passed, kept with its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

impl Studio {
    /// The offline painter alone, keeping pictures in `store`.
    pub fn new(renderer: Arc<artist::Renderer>, store: Arc<dyn ObjectStore>) -> Self {
        Self {
            local: LocalPainter::new(renderer),
            remote: None,
            vision: None,
            store,
        }
    }

    /// With `remote` (already guarded) drawing, the offline painter answering when it fails.
    pub fn with_remote(mut self, remote: Arc<dyn ImageModel>) -> Self {
        self.remote = Some(remote);
        self
    }

    /// With `vision` (already guarded) looking at the provider's pictures.
    pub fn with_vision(mut self, vision: Arc<dyn VisionModel>) -> Self {
        self.vision = Some(vision);
        self
    }

    /// Has the vision model look at the kept picture `hash` (its thumbnail) for `merchant`,
    /// which should show `subject`; a refused picture is deleted. A vision model that fails
    /// leaves the picture to the review's own checks (logged).
    pub async fn inspect(
        &self,
        merchant: &str,
        subject: &str,
        hash: &str,
    ) -> Result<Inspection, AppError> {
        let Some(vision) = &self.vision else {
            return Ok(Inspection::Skipped);
        };
        let Some(thumbnail) = self.read(hash, Variant::Thumbnail).await? else {
            return Err(AppError::Internal(format!(
                "the thumbnail of {hash} is not in the store"
            )));
        };
        let look = Look {
            merchant: merchant.to_owned(),
            subject: subject.to_owned(),
            png: thumbnail.to_vec(),
        };
        match vision.look(&look).await {
            Ok(verdict) if verdict.acceptable => Ok(Inspection::Passed {
                model: verdict.model,
            }),
            Ok(verdict) => {
                self.remove(hash).await?;
                Ok(Inspection::Refused {
                    reason: verdict.reason,
                })
            }
            Err(error) => {
                tracing::warn!(%merchant, %hash, %error, "the vision model failed; the review's checks stand");
                Ok(Inspection::Skipped)
            }
        }
    }

    /// The store `media` names: `memory://` (this process only), `s3://bucket/prefix` (S3
    /// or an S3-compatible store such as OSS, configured by the standard AWS_* environment
    /// variables, AWS_ENDPOINT among them), else a local directory (made if missing).
    pub fn store_at(media: &str) -> Result<Arc<dyn ObjectStore>, AppError> {
        let refused =
            |e: object_store::Error| AppError::Invalid(format!("the media store {media}: {e}"));
        if media == "memory://" {
            return Ok(Arc::new(object_store::memory::InMemory::new()));
        }
        if media.starts_with("s3://") {
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_url(media)
                .build()
                .map_err(refused)?;
            return Ok(Arc::new(store));
        }
        let path = std::path::Path::new(media);
        std::fs::create_dir_all(path).map_err(|e| {
            AppError::Invalid(format!("the media directory {}: {e}", path.display()))
        })?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(path).map_err(refused)?;
        Ok(Arc::new(store))
    }

    /// Pictures for `request`: the provider's, or the offline painter's when there is none,
    /// when it failed (a log line says why), or when `offline` asks for it (the provider's
    /// pictures kept failing the review).
    pub async fn draw(&self, request: &ImageRequest, offline: bool) -> Result<Painted, AppError> {
        if let Some(remote) = self.remote.as_ref().filter(|_| !offline) {
            match remote.draw(request).await {
                Ok(drawn) => {
                    return Ok(Painted {
                        drawn,
                        degraded: false,
                    });
                }
                Err(error) => {
                    tracing::warn!(merchant = %request.merchant, %error, "image provider failed, painting offline");
                    let drawn = self.local.draw(request).await.map_err(painter_failed)?;
                    return Ok(Painted {
                        drawn,
                        degraded: true,
                    });
                }
            }
        }
        let drawn = self.local.draw(request).await.map_err(painter_failed)?;
        Ok(Painted {
            drawn,
            degraded: self.remote.is_some(),
        })
    }

    /// Stores a picture as drawn (a JPEG or WebP as PNG), before its review; its hash.
    /// Bytes that do not decode are stored as they came, for the review to refuse.
    pub async fn put(&self, drawn: Vec<u8>) -> Result<String, AppError> {
        let png = tokio::task::spawn_blocking(move || match artist::as_png(&drawn) {
            Ok(std::borrow::Cow::Owned(png)) => png,
            Ok(std::borrow::Cow::Borrowed(_)) | Err(_) => drawn,
        })
        .await
        .map_err(|e| AppError::Internal(format!("reading a picture stopped: {e}")))?;
        let hash = content_hash(&png);
        self.write(&Variant::Picture.key(&hash), png).await?;
        Ok(hash)
    }

    /// Keeps a picture the boss uploaded, fitted into a `side` square, with its thumbnail;
    /// the refusal when it is not a picture this app reads (PNG, JPEG, WebP, within limits).
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        side: u32,
    ) -> Result<Result<Kept, artist::Refusal>, AppError> {
        let fitted = tokio::task::spawn_blocking(move || {
            let picture = artist::fitted(&bytes, side)?;
            let thumb = artist::thumbnail(&picture.png, THUMBNAIL_SIDE)
                .map_err(|e| artist::Refusal::Undecodable(e.to_string()))?;
            Ok::<_, artist::Refusal>((picture, thumb))
        })
        .await
        .map_err(|e| AppError::Internal(format!("reading an upload stopped: {e}")))?;
        let (picture, thumb) = match fitted {
            Ok(fitted) => fitted,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let hash = content_hash(&picture.png);
        let bytes = u64::try_from(picture.png.len()).unwrap_or(u64::MAX);
        self.write(&Variant::Picture.key(&hash), picture.png)
            .await?;
        self.write(&Variant::Thumbnail.key(&hash), thumb.png)
            .await?;
        Ok(Ok(Kept {
            hash,
            width: picture.width,
            height: picture.height,
            bytes,
        }))
    }

    /// Reviews the stored picture `hash` (it decodes, is `side` square, is not blank) and
    /// keeps its thumbnail; the refusal, when the review refuses it (the picture is then
    /// deleted).
    pub async fn review(
        &self,
        hash: &str,
        side: u32,
    ) -> Result<Result<Kept, artist::Refusal>, AppError> {
        let Some(png) = self.read(hash, Variant::Picture).await? else {
            return Err(AppError::Internal(format!(
                "picture {hash} is not in the store"
            )));
        };
        let checked = {
            let png = png.clone();
            tokio::task::spawn_blocking(move || {
                artist::review(&png, side).and_then(|reviewed| {
                    artist::thumbnail(&png, THUMBNAIL_SIDE)
                        .map(|thumb| (reviewed, thumb))
                        .map_err(|e| artist::Refusal::Undecodable(e.to_string()))
                })
            })
            .await
            .map_err(|e| AppError::Internal(format!("the review stopped: {e}")))?
        };
        match checked {
            Ok((_, thumb)) => {
                self.write(&Variant::Thumbnail.key(hash), thumb.png).await?;
                Ok(Ok(Kept {
                    hash: hash.to_owned(),
                    width: side,
                    height: side,
                    bytes: u64::try_from(png.len()).unwrap_or(u64::MAX),
                }))
            }
            Err(refusal) => {
                self.remove(hash).await?;
                Ok(Err(refusal))
            }
        }
    }

    /// The stored picture or thumbnail of `hash`, if the store has it.
    pub async fn read(&self, hash: &str, variant: Variant) -> Result<Option<Bytes>, AppError> {
        let path = Path::from(variant.key(hash));
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(store_failed)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(store_failed(err)),
        }
    }

    /// The pictures in the store (by hash, picture or thumbnail alike) last written before
    /// `cutoff`.
    pub async fn stored_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, AppError> {
        use futures::TryStreamExt as _;
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&Path::from(ART_PREFIX)))
            .try_collect()
            .await
            .map_err(store_failed)?;
        let mut hashes: Vec<String> = listed
            .into_iter()
            .filter(|object| object.last_modified < cutoff)
            .filter_map(|object| {
                let name = object.location.filename()?.to_owned();
                Variant::parse(&name).map(|(hash, _)| hash)
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        Ok(hashes)
    }

    /// Deletes the picture `hash` and its thumbnail (either may be missing).
    pub async fn remove(&self, hash: &str) -> Result<(), AppError> {
        for variant in [Variant::Picture, Variant::Thumbnail] {
            match self.store.delete(&Path::from(variant.key(hash))).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(store_failed(err)),
            }
        }
        Ok(())
    }

    async fn write(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        // Content-addressed: writing the same key again writes the same bytes.
        self.store
            .put(&Path::from(key), bytes.into())
            .await
            .map_err(store_failed)?;
        Ok(())
    }
}

fn painter_failed(err: llm::CallError) -> AppError {
    AppError::Internal(format!("the offline painter failed: {err}"))
}

fn store_failed(err: object_store::Error) -> AppError {
    AppError::Upstream(format!("the picture store failed: {err}"))
}
