//! Connecting as libpq users expect: a `postgres://` URL (or `key=value` words) with `sslmode`
//! and `sslrootcert`; what it leaves out from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
//! `PGSSLMODE`, `PGSSLROOTCERT` and `PGPASSWORD`, then `~/.pgpass` (or `PGPASSFILE`). The
//! password is never shown: [`Target::name`] leaves it out of the URL.
//!
//! Every session is read-only (`default_transaction_read_only`), in UTC, with ISO dates.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// How long to wait for a server to answer a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database to connect to: the configuration, and how to say which it is without its
/// password.
#[derive(Clone)]
pub struct Target {
    config: Config,
    tls: Tls,
    name: String,
}

/// `sslmode` as libpq has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    /// `allow` and `prefer`: TLS when the server offers it, the certificate not checked.
    Prefer,
    /// TLS, the certificate not checked (unless a root certificate is at hand, as libpq does).
    Require,
    /// TLS, the certificate signed by a trusted root.
    VerifyCa,
    /// TLS, the certificate signed by a trusted root and naming the host.
    VerifyFull,
}

#[derive(Clone)]
struct Tls {
    mode: Mode,
    /// `sslrootcert`: a PEM file, or `system` for the system's roots.
    root: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Target {}

/// Whether `text` names a PostgreSQL database rather than a file.
pub fn is_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl Target {
    /// Reads a connection URL, completing it from the environment as libpq would.
    pub fn parse(url: &str) -> Result<Self, String> {
        Self::parse_with(url, &|name| std::env::var(name).ok())
    }

    fn parse_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let (rest, params) = split_params(url);
        let mut kept = Vec::new();
        let mut mode = None;
        let mut root = None;
        for (key, value) in params {
            match key.as_str() {
                "sslmode" => mode = Some(parse_mode(&value)?),
                "sslrootcert" => root = Some(value),
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" => {
                    return Err(format!(
                        "{key}: client certificates are not supported; connect with a password"
                    ));
                }
                _ => kept.push((key, value)),
            }
        }
        let mut cleaned = rest.to_owned();
        for (i, (key, value)) in kept.iter().enumerate() {
            cleaned.push(if i == 0 { '?' } else { '&' });
            let _ = write!(cleaned, "{}={}", encode(key), encode(value));
        }
        let mut config: Config = cleaned
            .parse()
            .map_err(|e| format!("not a PostgreSQL connection URL: {e}"))?;
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(hosts) => {
                    for host in hosts.split(',') {
                        config.host(host);
                    }
                }
                None => {
                    config.host(&default_host());
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("PGPORT={port}: not a port"))?;
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .or_else(|| env("LOGNAME"))
                .ok_or("the URL names no user (and PGUSER is not set): write postgres://USER@HOST/DATABASE")?;
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_password().is_none() {
            if let Some(password) = env("PGPASSWORD") {
                config.password(password);
            } else if let Some(password) = pgpass_password(&config, env) {
                config.password(password);
            }
        }
        let mode = match mode {
            Some(mode) => mode,
            None => env("PGSSLMODE").map_or(Ok(Mode::Prefer), |m| parse_mode(&m))?,
        };
        let root = root.or_else(|| env("PGSSLROOTCERT"));
        config.ssl_mode(match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        });
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(15));
        config.application_name("eventlens");
        let name = display_name(&config);
        Ok(Self {
            config,
            tls: Tls { mode, root },
            name,
        })
    }

    /// The URL without its password, as the database is shown and remembered.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connects and makes the session read-only, in UTC.
    pub fn connect(&self) -> Result<Client, String> {
        let mut client = if self.tls.mode == Mode::Disable {
            self.config.connect(postgres::NoTls)
        } else {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.tls.client_config()?);
            self.config.connect(tls)
        }
        .map_err(|e| describe_connect_error(&e, self))?;
        client
            .batch_execute(
                "SET default_transaction_read_only = on; SET TimeZone = 'UTC'; \
                 SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; \
                 SET extra_float_digits = 3",
            )
            .map_err(|e| format!("could not set up a read-only session: {}", error_text(&e)))?;
        Ok(client)
    }
}

fn parse_mode(value: &str) -> Result<Mode, String> {
    match value {
        "disable" => Ok(Mode::Disable),
        "allow" | "prefer" => Ok(Mode::Prefer),
        "require" => Ok(Mode::Require),
        "verify-ca" => Ok(Mode::VerifyCa),
        "verify-full" => Ok(Mode::VerifyFull),
        other => Err(format!(
            "sslmode={other}: expected disable, allow, prefer, require, verify-ca or verify-full"
        )),
    }
}

/// Where libpq looks when no host is given: the local socket directory, else `localhost`.
fn default_host() -> String {
    ["/var/run/postgresql", "/tmp"]
        .into_iter()
        .find(|dir| {
            std::fs::read_dir(dir).is_ok_and(|mut entries| {
                entries.any(|e| {
                    e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".s.PGSQL."))
                })
            })
        })
        .unwrap_or("localhost")
        .to_owned()
}

/// The URL before its query, and the query's parameters, decoded.
fn split_params(url: &str) -> (&str, Vec<(String, String)>) {
    let Some((rest, query)) = url.split_once('?') else {
        return (url, Vec::new());
    };
    let params = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            (decode(key), decode(value))
        })
        .collect();
    (rest, params)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
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

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `postgres://USER@HOST:PORT/DATABASE`: what the connection is, never its password.
fn display_name(config: &Config) -> String {
    let mut name = String::from("postgres://");
    if let Some(user) = config.get_user() {
        name.push_str(&encode(user).replace("%40", "@"));
        name.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let host = match host {
                Host::Tcp(host) if host.contains(':') => format!("[{host}]"),
                Host::Tcp(host) => host.clone(),
                #[cfg(unix)]
                Host::Unix(path) => encode(&path.display().to_string()),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) if *port != 5432 => format!("{host}:{port}"),
                _ => host,
            }
        })
        .collect();
    name.push_str(&hosts.join(","));
    name.push('/');
    if let Some(db) = config.get_dbname() {
        name.push_str(&encode(db));
    }
    name
}

/// The password `~/.pgpass` (or `PGPASSFILE`) has for this connection: lines of
/// `host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`. As
/// libpq, a file others can read is ignored, with a warning.
fn pgpass_password(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pgpass")))?;
    let text = std::fs::read_to_string(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: password file {} has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            );
            return None;
        }
    }
    let host = match config.get_hosts().first()? {
        Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        Host::Unix(_) => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user()?;
    let db = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, db, user])
}

fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then(|| fields[4].clone())
        })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(last) = fields.last_mut()
                {
                    last.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// What went wrong connecting, and what to do about it.
fn describe_connect_error(error: &postgres::Error, target: &Target) -> String {
    let text = error_text(error);
    let hint = match error.code().map(postgres::error::SqlState::code) {
        Some("28P01" | "28000") => {
            "; give the password in the URL (postgres://USER:PASSWORD@…), in PGPASSWORD or in ~/.pgpass"
        }
        Some("3D000") => "; check the database name at the end of the URL",
        _ if text.contains("refused") => {
            "; is the server running, and listening on that host and port?"
        }
        _ if text.contains("password missing") => {
            "; the server asks for a password: give it in the URL, in PGPASSWORD or in ~/.pgpass"
        }
        _ if text.contains("timed out") => "; the server did not answer: check the host and port",
        _ => "",
    };
    let _ = target;
    format!("cannot connect: {text}{hint}")
}

/// A client error in one line: the server's message (with its detail) or the client's.
pub fn error_text(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = db.message().to_owned();
        if let Some(detail) = db.detail() {
            let _ = write!(text, " ({detail})");
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            let _ = write!(text, ": {inner_text}");
        }
        source = inner.source();
    }
    text
}

impl Tls {
    fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        // libpq: `require` with a root certificate file at hand verifies as `verify-ca`.
        let default_root = home_root_cert();
        let mode = match self.mode {
            Mode::Require if self.root.is_some() || default_root.is_some() => Mode::VerifyCa,
            mode => mode,
        };
        if matches!(mode, Mode::Prefer | Mode::Require) {
            return Ok(builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
                .with_no_client_auth());
        }
        let roots = self.roots(default_root)?;
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = if mode == Mode::VerifyCa {
            Arc::new(AnyName(webpki))
        } else {
            webpki
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn roots(&self, default_root: Option<PathBuf>) -> Result<rustls::RootCertStore, String> {
        let mut roots = rustls::RootCertStore::empty();
        let file = match self.root.as_deref() {
            Some("system") => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
                return Ok(roots);
            }
            Some(file) => PathBuf::from(file),
            None => default_root.ok_or(
                "sslmode verify-ca or verify-full needs the root certificate: give sslrootcert=FILE (or sslrootcert=system), or put it in ~/.postgresql/root.crt",
            )?,
        };
        let certs = CertificateDer::pem_file_iter(&file)
            .map_err(|e| format!("sslrootcert {}: {e}", file.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", file.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("sslrootcert {}: {e}", file.display()))?;
        }
        Ok(roots)
    }
}

fn home_root_cert() -> Option<PathBuf> {
    let path = Path::new(&std::env::var_os("HOME")?).join(".postgresql/root.crt");
    path.is_file().then_some(path)
}

/// `prefer` and `require`: encrypted, the certificate taken as it is (libpq's behaviour);
/// the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not compared.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str, vars: &[(&str, &str)]) -> Result<Target, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Target::parse_with(url, &move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_name_never_holds_the_password() {
        let target = parse(
            "postgres://ann:s3cret@db.example:6543/orders?sslmode=disable",
            &[],
        )
        .unwrap();
        assert_eq!(target.name(), "postgres://ann@db.example:6543/orders");
        assert_eq!(target.config.get_password(), Some(&b"s3cret"[..]));
        let target = parse(
            "postgresql://ann@localhost/orders?password=s3cret&sslmode=require",
            &[],
        )
        .unwrap();
        assert_eq!(target.name(), "postgres://ann@localhost/orders");
        assert_eq!(target.tls.mode, Mode::Require);
    }

    #[test]
    fn the_environment_completes_the_url() {
        let target = parse(
            "postgres:///orders",
            &[
                ("PGHOST", "10.0.0.5"),
                ("PGPORT", "6000"),
                ("PGUSER", "bob"),
                ("PGPASSWORD", "pw"),
                ("PGSSLMODE", "verify-full"),
            ],
        )
        .unwrap();
        assert_eq!(target.name(), "postgres://bob@10.0.0.5:6000/orders");
        assert_eq!(target.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(target.tls.mode, Mode::VerifyFull);
        let error = parse("postgres://h/db?sslmode=sometimes", &[("USER", "x")]).unwrap_err();
        assert!(error.contains("verify-full"), "{error}");
        let error = parse("postgres://h/db?sslcert=c.pem", &[("USER", "x")]).unwrap_err();
        assert!(error.contains("client certificates"), "{error}");
    }

    #[test]
    fn pgpass_lines_match_with_wildcards_and_escapes() {
        let text = "# comment\nother:5432:*:ann:no\ndb:*:orders:ann:pa\\:ss\\\\word\n*:*:*:*:last";
        assert_eq!(
            pgpass_lookup(text, ["db", "5432", "orders", "ann"]).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            pgpass_lookup(text, ["x", "1", "y", "z"]).as_deref(),
            Some("last")
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "127.0.0.1:5433:orders:ann:from-file\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let file = file.display().to_string();
        let target = parse(
            "postgres://ann@127.0.0.1:5433/orders",
            &[("PGPASSFILE", &file)],
        )
        .unwrap();
        assert_eq!(target.config.get_password(), Some(&b"from-file"[..]));
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("postgres://x/y"));
        assert!(is_url("PostgreSQL://x"));
        assert!(!is_url("postgres.jsonl"));
        assert!(!is_url("./postgres://x"));
    }
}
