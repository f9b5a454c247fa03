//! The one place connections are opened: TCP, TLS or a Unix socket, for the client library's
//! connections and our own `raw` ones alike, each read through the bounded reader.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::ConnectionAddr;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A connected stream to `addr`, TLS verified against `ca` (the system's roots without one;
/// nothing verified when the address says `insecure`).
pub(crate) async fn open(
    addr: &ConnectionAddr,
    ca: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<Box<dyn Stream>> {
    let (host, port, tls) = match addr {
        ConnectionAddr::Tcp(host, port) => (host, *port, None),
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => (host, *port, Some(*insecure)),
        ConnectionAddr::Unix(path) => {
            let unix = within(timeout, tokio::net::UnixStream::connect(path)).await?;
            return Ok(boxed(unix));
        }
        other => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!("{other:?} is not an address cachectl connects to"),
            ));
        }
    };
    let tcp = within(timeout, TcpStream::connect((host.as_str(), port))).await?;
    let _ = tcp.set_nodelay(true);
    let Some(insecure) = tls else {
        return Ok(boxed(tcp));
    };
    let config = client_config(ca, insecure).map_err(invalid)?;
    let name = rustls_pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| invalid(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    Ok(boxed(within(timeout, connector.connect(name, tcp)).await?))
}

/// `fut`, or a timeout error once `timeout` has passed.
pub(crate) async fn within<T>(
    timeout: Duration,
    fut: impl std::future::Future<Output = std::io::Result<T>>,
) -> std::io::Result<T> {
    tokio::time::timeout(timeout, fut)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

fn boxed<S: Stream + 'static>(s: S) -> Box<dyn Stream> {
    Box::new(s)
}

fn invalid(why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("TLS: {why}"))
}

/// The CA a cluster's nodes are verified against, and how long a node may take to connect:
/// the client library opens a discovered node by its address alone (`Node`'s
/// `connect_with_config`), which cannot be handed them.
static CLUSTER_NODE: Mutex<Option<(Option<Vec<u8>>, Duration)>> = Mutex::new(None);

pub(crate) fn set_cluster_node(ca: Option<&[u8]>, timeout: Duration) {
    if let Ok(mut held) = CLUSTER_NODE.lock() {
        *held = Some((ca.map(<[u8]>::to_vec), timeout));
    }
}

pub(crate) fn cluster_node() -> (Option<Vec<u8>>, Duration) {
    CLUSTER_NODE
        .lock()
        .ok()
        .and_then(|held| held.clone())
        .unwrap_or((None, Duration::from_secs(10)))
}

type ConfigKey = (Option<Vec<u8>>, bool);

/// Built once per CA: the system's roots take a while to load, and a cluster opens a
/// connection per node.
static CONFIGS: Mutex<Vec<(ConfigKey, Arc<rustls::ClientConfig>)>> = Mutex::new(Vec::new());

fn client_config(ca: Option<&[u8]>, insecure: bool) -> Result<Arc<rustls::ClientConfig>, String> {
    let key = (ca.map(<[u8]>::to_vec), insecure);
    if let Ok(held) = CONFIGS.lock()
        && let Some((_, config)) = held.iter().find(|(k, _)| *k == key)
    {
        return Ok(config.clone());
    }
    let config = Arc::new(tls_config(ca, insecure)?);
    if let Ok(mut held) = CONFIGS.lock() {
        held.push((key, config.clone()));
    }
    Ok(config)
}

/// The TLS settings redis-rs uses for the same URL: the CA file's certificates, or the
/// system's; no verification at all with `--tls-insecure`.
fn tls_config(
    ca_pem: Option<&[u8]>,
    insecure: bool,
) -> std::result::Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject;
    super::install_crypto();
    let builder = rustls::ClientConfig::builder();
    if insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
                roots
                    .add(cert.map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `--tls-insecure`: any certificate, any name.
#[derive(Debug)]
struct AnyCertificate;

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
