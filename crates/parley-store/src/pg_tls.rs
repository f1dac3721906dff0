//! TLS for the PostgreSQL backend: reads `sslmode` and `sslrootcert` from the URL and connects over
//! rustls (ring provider).
//!
//! - no `sslmode`, or `sslmode=disable`: plain TCP, as before TLS existed here;
//! - `sslmode=prefer`: TLS if the server offers it, else plain; the certificate is not checked;
//! - `sslmode=require`: TLS or nothing; the certificate is **not** checked (encryption against a
//!   passive listener only, as in libpq without a root certificate);
//! - `sslmode=verify-full`: TLS, the chain checked against the certificates in `sslrootcert=PATH`
//!   (PEM; `sslrootcert=system` reads the system bundle) and the certificate's names against the
//!   host of the URL.
//!
//! `verify-ca` (chain without host name) is refused rather than silently treated as another mode.
//! Channel binding is not offered (SCRAM runs without `-PLUS`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The system bundle read for `sslrootcert=system` (Debian's path; `SSL_CERT_FILE` overrides).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// How a URL asks to connect.
#[derive(Debug)]
pub enum Mode {
    /// Plain TCP.
    Plain,
    /// TLS with this client configuration.
    Tls(Arc<ClientConfig>),
}

/// Splits the TLS parameters off `url`: the URL to hand to the PostgreSQL client (with `sslmode`
/// mapped to one it knows and `sslrootcert` removed) and how to connect. The error is a sentence
/// for the user.
pub fn parse(url: &str) -> Result<(String, Mode), String> {
    let Some((address, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Mode::Plain));
    };
    let mut mode = None;
    let mut root = None;
    let mut kept = Vec::new();
    for parameter in query.split('&') {
        if let Some(value) = parameter.strip_prefix("sslmode=") {
            mode = Some(value.to_owned());
        } else if let Some(value) = parameter.strip_prefix("sslrootcert=") {
            root = Some(percent_decode(value));
        } else {
            kept.push(parameter);
        }
    }
    let (client_mode, tls) = match mode.as_deref() {
        None | Some("disable") => {
            if root.is_some() {
                return Err("sslrootcert is set but TLS is off: add sslmode=verify-full".to_owned());
            }
            (mode.as_deref(), Mode::Plain)
        }
        Some(value @ ("prefer" | "require")) => (Some(value), Mode::Tls(unverified())),
        Some("verify-full") => {
            let Some(root) = root else {
                return Err(
                    "sslmode=verify-full needs sslrootcert=PATH (a PEM file of the CA certificates to trust, or `system`)".to_owned()
                );
            };
            (Some("require"), Mode::Tls(verified(&root)?))
        }
        Some("verify-ca") => {
            return Err("sslmode=verify-ca is not supported: use sslmode=verify-full (chain and host name)".to_owned());
        }
        Some("allow") => return Err("sslmode=allow is not supported: use disable, prefer, require or verify-full".to_owned()),
        Some(other) => {
            return Err(format!("unknown sslmode `{other}`: use disable, prefer, require or verify-full"));
        }
    };
    if let Some(value) = client_mode {
        kept.push(match value {
            "disable" => "sslmode=disable",
            "prefer" => "sslmode=prefer",
            _ => "sslmode=require",
        });
    }
    let rewritten = if kept.is_empty() { address.to_owned() } else { format!("{address}?{}", kept.join("&")) };
    Ok((rewritten, tls))
}

/// A failed handshake as one sentence: the causes in order, with what they mean for the common
/// certificate failures.
pub fn explain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        causes.push(cause.to_string());
        next = cause.source();
    }
    let text = if causes.is_empty() { error.to_string() } else { causes.join(": ") };
    let hint = if text.contains("UnknownIssuer") { " (the server's certificate is not signed by a CA in sslrootcert)" } else { "" };
    format!("{text}{hint}")
}

/// `%XX` escapes in a URL parameter value (a path may hold spaces and the like).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn verified(root: &str) -> Result<Arc<ClientConfig>, String> {
    let path = if root == "system" { std::env::var("SSL_CERT_FILE").unwrap_or_else(|_| SYSTEM_ROOTS.to_owned()) } else { root.to_owned() };
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
        .and_then(|iter| iter.collect::<Result<_, _>>())
        .map_err(|error| format!("sslrootcert {path}: {error}"))?;
    if certificates.is_empty() {
        return Err(format!("sslrootcert {path}: no PEM certificate in it"));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|error| format!("sslrootcert {path}: {error}"))?;
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn unverified() -> Arc<ClientConfig> {
    let provider = provider();
    let verifier = Arc::new(AcceptAnyCertificate(provider.clone()));
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// `require`/`prefer`: any certificate is taken; the handshake signatures are still checked, so the
/// peer holds the key of the certificate it sent.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The connector handed to the PostgreSQL client.
#[derive(Clone, Debug)]
pub struct RustlsConnect(pub Arc<ClientConfig>);

impl<S> MakeTlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnector;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnector, Self::Error> {
        let name = ServerName::try_from(domain.to_owned())?;
        Ok(RustlsConnector { config: self.0.clone(), name })
    }
}

#[derive(Debug)]
pub struct RustlsConnector {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

type ConnectFuture<S> = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

impl<S> TlsConnect<S> for RustlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = ConnectFuture<S>;

    fn connect(self, stream: S) -> ConnectFuture<S> {
        Box::pin(async move {
            let stream = tokio_rustls::TlsConnector::from(self.config).connect(self.name, stream).await?;
            Ok(RustlsStream(Box::new(stream)))
        })
    }
}

#[derive(Debug)]
pub struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(url: &str) -> String {
        parse(url).unwrap().0
    }

    #[test]
    fn urls_without_sslmode_stay_plain_and_untouched() {
        for url in ["postgres://u:p@127.0.0.1:5432/db", "postgres://u:p@h/db?connect_timeout=3", "postgres://u@h/db?sslmode=disable"] {
            let (out, mode) = parse(url).unwrap();
            assert_eq!(out, url);
            assert!(matches!(mode, Mode::Plain));
        }
    }

    #[test]
    fn verify_full_becomes_require_without_sslrootcert() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.crt");
        std::fs::write(&ca, include_str!("../tests/data/other-ca.crt")).unwrap();
        let url = format!("postgres://u:p@h/db?sslmode=verify-full&sslrootcert={}&connect_timeout=3", ca.display());
        let (out, mode) = parse(&url).unwrap();
        assert_eq!(out, "postgres://u:p@h/db?connect_timeout=3&sslmode=require");
        assert!(matches!(mode, Mode::Tls(_)));
        assert_eq!(rewritten("postgres://h/db?sslmode=require"), "postgres://h/db?sslmode=require");
    }

    #[test]
    fn unsupported_or_incomplete_tls_settings_are_refused() {
        for (url, expected) in [
            ("postgres://h/db?sslmode=verify-full", "needs sslrootcert=PATH"),
            ("postgres://h/db?sslmode=verify-ca&sslrootcert=x", "verify-ca is not supported"),
            ("postgres://h/db?sslmode=strict", "unknown sslmode `strict`"),
            ("postgres://h/db?sslrootcert=x", "TLS is off"),
            ("postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt", "sslrootcert /nonexistent/ca.crt"),
        ] {
            let error = parse(url).unwrap_err();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = parse(&format!("postgres://h/db?sslmode=verify-full&sslrootcert={}", empty.display())).unwrap_err();
        assert!(error.contains("no PEM certificate"), "{error}");
    }

    #[test]
    fn percent_escapes_in_the_root_path_are_decoded() {
        assert_eq!(percent_decode("/tmp/a%20b/ca.crt"), "/tmp/a b/ca.crt");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
