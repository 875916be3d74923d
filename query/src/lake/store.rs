//! Where the lake lives: a local folder, or a prefix in an object store.
//!
//! One machine writes its lake to a local folder. Several instances that share one lake
//! (DESIGN §8: a consumer group scaled out over machines) write it to an object store
//! instead, named by a URL such as `s3://bucket/prefix`; any instance, or any other
//! engine that reads hive-partitioned Parquet, queries it there. The layout below the
//! root is the same in both places (`lake/layout.rs`).
//!
//! An object store has no rename, so the two differ in how a file appears atomically:
//! locally it is written under a hidden name, synced and renamed; in an object store the
//! finished Parquet bytes are sent in one PUT, which the store makes visible whole or not
//! at all (see `lake/writer.rs`).
//!
//! Some state must stay on the machine that runs sanso: file-source checkpoints (which
//! positions of *this* machine's files are in the lake) and the incident log. In a local
//! lake it lives in `<lake>/_sanso/`, as it always has; with an object-store lake it
//! lives in a local state folder ([`LakeLocation::state_dir`]), by default
//! [`DEFAULT_STATE_DIR`].
//!
//! Credentials and the endpoint come from the standard AWS variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, …), which [`StoreOptions`] may override for the
//! endpoint, region and plain-HTTP settings; secrets are never read from configuration.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use sanso_ingest::schema::Table;

use crate::error::LakeError;

/// The local state folder of an object-store lake when none is configured.
pub const DEFAULT_STATE_DIR: &str = "./sanso-state";

/// Settings of an object-store lake that are not part of its URL.
///
/// Every field left `None` falls back to the environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, `AWS_ALLOW_HTTP`), then to the store's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// The S3 API endpoint, for stores other than AWS (MinIO, Ceph, moto).
    pub endpoint: Option<String>,
    /// The region of the bucket.
    pub region: Option<String>,
    /// Whether a plain `http://` endpoint is allowed.
    pub allow_http: Option<bool>,
    /// The local state folder (checkpoints, incident log); [`DEFAULT_STATE_DIR`] when
    /// `None`. Unused by a local lake, whose state stays in `<lake>/_sanso/`.
    pub state_dir: Option<PathBuf>,
}

/// Where a lake lives; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeLocation {
    /// A folder on this machine.
    Local(PathBuf),
    /// A prefix in an object store.
    ObjectStore(Arc<RemoteLake>),
}

/// A lake in an object store: the bucket, the prefix of its root, and how to reach it.
#[derive(Debug, PartialEq, Eq)]
pub struct RemoteLake {
    bucket: String,
    prefix: ObjectPath,
    options: StoreOptions,
    state_dir: PathBuf,
}

impl LakeLocation {
    /// Reads a lake location as given on the command line or in `[lake] path`: a URL
    /// with an `s3://` scheme names an object store, `file://` or anything without a
    /// scheme a local folder.
    pub fn parse(location: &str, options: StoreOptions) -> Result<Self, LakeError> {
        let invalid = |reason: &str| LakeError::Location {
            location: location.to_owned(),
            reason: reason.to_owned(),
        };
        let Some((scheme, rest)) = location.split_once("://") else {
            return Ok(LakeLocation::Local(PathBuf::from(location)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => Ok(LakeLocation::Local(PathBuf::from(rest))),
            "s3" | "s3a" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(invalid("the URL names no bucket (s3://BUCKET/PREFIX)"));
                }
                let prefix = ObjectPath::parse(prefix.trim_end_matches('/'))
                    .map_err(|err| invalid(&err.to_string()))?;
                let state_dir = options
                    .state_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
                Ok(LakeLocation::ObjectStore(Arc::new(RemoteLake {
                    bucket: bucket.to_owned(),
                    prefix,
                    options,
                    state_dir,
                })))
            }
            other => Err(invalid(&format!(
                "unsupported scheme `{other}://`: the lake is a local folder or an s3:// URL"
            ))),
        }
    }

    /// The folder of the state that stays on this machine (checkpoints under
    /// `_sanso/`, the incident log): the lake itself when it is local.
    pub fn state_dir(&self) -> &Path {
        match self {
            LakeLocation::Local(root) => root,
            LakeLocation::ObjectStore(remote) => &remote.state_dir,
        }
    }

    /// The lake's folder, when it is a local one.
    pub fn local_root(&self) -> Option<&Path> {
        match self {
            LakeLocation::Local(root) => Some(root),
            LakeLocation::ObjectStore(_) => None,
        }
    }

    /// An object that prints the location for people, like [`Path::display`].
    pub fn display(&self) -> &Self {
        self
    }
}

impl fmt::Display for LakeLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LakeLocation::Local(root) => write!(f, "{}", root.display()),
            LakeLocation::ObjectStore(remote) => write!(f, "{}", remote.url()),
        }
    }
}

impl From<PathBuf> for LakeLocation {
    fn from(root: PathBuf) -> Self {
        LakeLocation::Local(root)
    }
}

impl From<&Path> for LakeLocation {
    fn from(root: &Path) -> Self {
        LakeLocation::Local(root.to_owned())
    }
}

impl From<&PathBuf> for LakeLocation {
    fn from(root: &PathBuf) -> Self {
        LakeLocation::Local(root.clone())
    }
}

impl From<&LakeLocation> for LakeLocation {
    fn from(location: &LakeLocation) -> Self {
        location.clone()
    }
}

impl RemoteLake {
    /// The lake's URL, `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.as_ref().is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// The URL DataFusion registers the store under: the bucket.
    pub fn store_url(&self) -> Result<ObjectStoreUrl, LakeError> {
        ObjectStoreUrl::parse(format!("s3://{}", self.bucket)).map_err(|err| LakeError::Location {
            location: self.url(),
            reason: err.to_string(),
        })
    }

    /// The URL of a table's folder, with the trailing slash that makes DataFusion list
    /// it as a folder.
    pub fn table_url(&self, table: Table) -> String {
        format!(
            "s3://{}/{}/",
            self.bucket,
            self.object_path(Path::new(table.name()))
        )
    }

    /// The object path of `relative`, a path below the lake root.
    pub fn object_path(&self, relative: &Path) -> ObjectPath {
        relative.iter().fold(self.prefix.clone(), |path, part| {
            path.join(part.to_string_lossy().as_ref())
        })
    }

    /// A new client for the store. Each caller that runs on its own async runtime needs
    /// its own: a client's pooled connections belong to the runtime that opened them.
    pub fn connect(&self) -> Result<Arc<dyn ObjectStore>, LakeError> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&self.bucket);
        if let Some(endpoint) = &self.options.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &self.options.region {
            builder = builder.with_region(region);
        }
        if let Some(allow_http) = self.options.allow_http {
            builder = builder.with_allow_http(allow_http);
        }
        let store = builder.build().map_err(|source| LakeError::ObjectStore {
            location: self.url(),
            source,
        })?;
        Ok(Arc::new(store))
    }
}

/// Runs `work` to completion on `runtime`. A runtime cannot be blocked on from inside
/// another one (a caller in `spawn_blocking`, a test's runtime), so from there it waits
/// on a thread that is outside both.
pub(crate) fn block_on<T: Send>(
    runtime: &tokio::runtime::Runtime,
    work: impl Future<Output = T> + Send,
) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(work);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(work))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(location: &str) -> Arc<RemoteLake> {
        match LakeLocation::parse(location, StoreOptions::default()).unwrap() {
            LakeLocation::ObjectStore(remote) => remote,
            local => panic!("{location} parsed as {local:?}"),
        }
    }

    #[test]
    fn paths_and_file_urls_are_local() {
        for (given, root) in [
            ("./sanso-data", "./sanso-data"),
            ("/var/lib/sanso", "/var/lib/sanso"),
            ("file:///var/lib/sanso", "/var/lib/sanso"),
        ] {
            let location = LakeLocation::parse(given, StoreOptions::default()).unwrap();
            assert_eq!(location.local_root(), Some(Path::new(root)));
            assert_eq!(location.state_dir(), Path::new(root));
        }
    }

    #[test]
    fn s3_urls_name_bucket_and_prefix() {
        let lake = remote("s3://city-logs/sanso/lake/");
        assert_eq!(lake.url(), "s3://city-logs/sanso/lake");
        assert_eq!(
            lake.table_url(Table::Network),
            "s3://city-logs/sanso/lake/network/"
        );
        assert_eq!(
            lake.object_path(Path::new("auth/date=2026-11-26/zone=core/part-1.parquet"))
                .as_ref(),
            "sanso/lake/auth/date=2026-11-26/zone=core/part-1.parquet"
        );
        assert_eq!(lake.store_url().unwrap().as_str(), "s3://city-logs/");

        let bare = remote("s3://city-logs");
        assert_eq!(bare.url(), "s3://city-logs");
        assert_eq!(bare.table_url(Table::Auth), "s3://city-logs/auth/");
    }

    #[test]
    fn remote_state_stays_local() {
        let default = LakeLocation::parse("s3://b/l", StoreOptions::default()).unwrap();
        assert_eq!(default.state_dir(), Path::new(DEFAULT_STATE_DIR));
        assert_eq!(default.local_root(), None);
        let options = StoreOptions {
            state_dir: Some(PathBuf::from("/var/lib/sanso")),
            ..StoreOptions::default()
        };
        let configured = LakeLocation::parse("s3://b/l", options).unwrap();
        assert_eq!(configured.state_dir(), Path::new("/var/lib/sanso"));
    }

    #[test]
    fn unusable_urls_say_why() {
        for (given, reason) in [
            ("gs://bucket/lake", "unsupported scheme `gs://`"),
            ("s3:///lake", "names no bucket"),
        ] {
            let err = LakeLocation::parse(given, StoreOptions::default()).unwrap_err();
            assert!(err.to_string().contains(reason), "{given}: {err}");
        }
    }
}
