//! Syslog over TLS (RFC 5425): the TCP reader behind a rustls handshake.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::Sender;
use super::syslog_tcp::{MAX_CONNECTIONS, StreamSettings, read_frames};
use crate::metrics::Metrics;

/// Builds the TLS acceptor from PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut read_pem(cert)?.as_slice())
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading certificates from {}", cert.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "{} holds no PEM certificate",
        cert.display()
    );
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut read_pem(key)?.as_slice())
        .with_context(|| format!("reading the private key from {}", key.display()))?
        .with_context(|| format!("{} holds no PEM private key", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not form a usable pair")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read_pem(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Accepts TLS connections until the channel closes.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    settings: StreamSettings,
    tx: Sender,
    metrics: Metrics,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, addr) = listener.accept().await?;
        let (acceptor, settings, tx, metrics) = (
            acceptor.clone(),
            settings.clone(),
            tx.clone(),
            metrics.clone(),
        );
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(stream) => {
                    let peer: Arc<str> = Arc::from(addr.ip().to_string());
                    if let Err(err) =
                        read_frames(stream, &settings, Some(peer), &tx, &metrics).await
                    {
                        tracing::debug!(%addr, %err, "syslog TLS connection ended with an error");
                    }
                }
                Err(err) => tracing::warn!(%addr, %err, "syslog TLS handshake failed"),
            }
            drop(permit);
        });
    }
}
