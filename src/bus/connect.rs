//! Connecting to NATS with a deployment's credentials: user and password, token, NKey seed or
//! `.creds` file, over TLS when a CA or a client certificate is given (or the URL says `tls://`).

use std::time::Duration;

/// Credentials for NATS, from the environment; never from the repository.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// User name.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Token.
    pub token: Option<String>,
    /// A `.creds` file.
    pub creds_file: Option<String>,
    /// An NKey seed (`SU…`): the user signs the server's nonce with it.
    pub nkey_seed: Option<String>,
    /// A CA certificate (PEM) the server's certificate must chain to; TLS is then required.
    pub tls_ca: Option<String>,
    /// This client's certificate (PEM), for servers that verify clients; with `tls_key`.
    pub tls_cert: Option<String>,
    /// The key of `tls_cert` (PEM).
    pub tls_key: Option<String>,
    /// The prefix of this connection's reply inboxes (default `_INBOX`): a per-user prefix such
    /// as `_INBOX_pasta_client`, which deploy/auth lets only that user subscribe to, keeps the
    /// replies of one identity from every other.
    pub inbox_prefix: Option<String>,
}

/// Connects to NATS with the credentials of the environment (see `crate::config`). The first
/// connection must succeed (a refused password or a server that does not answer is an error);
/// after that, the client reconnects by itself.
pub async fn connect(url: &str, auth: &Auth) -> anyhow::Result<async_nats::Client> {
    let mut options = async_nats::ConnectOptions::new()
        .name("pasta")
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None);
    if let (Some(user), Some(pass)) = (&auth.user, &auth.password) {
        options = options.user_and_password(user.clone(), pass.clone());
    }
    if let Some(token) = &auth.token {
        options = options.token(token.clone());
    }
    if let Some(prefix) = &auth.inbox_prefix {
        options = options.custom_inbox_prefix(prefix.clone());
    }
    if let Some(creds) = &auth.creds_file {
        options = options.credentials_file(creds).await?;
    }
    if let Some(seed) = &auth.nkey_seed {
        options = options.nkey(seed.trim().to_string());
    }
    if let Some(ca) = &auth.tls_ca {
        options = options.add_root_certificates(ca.into()).require_tls(true);
    }
    match (&auth.tls_cert, &auth.tls_key) {
        (Some(cert), Some(key)) => {
            options = options
                .add_client_certificate(cert.into(), key.into())
                .require_tls(true);
        }
        (None, None) => {}
        _ => anyhow::bail!(
            "a client certificate needs both PASTA_NATS_TLS_CERT and PASTA_NATS_TLS_KEY"
        ),
    }
    // A comma-separated list names several servers of a cluster.
    let servers: Vec<&str> = url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match tokio::time::timeout(Duration::from_secs(10), options.connect(servers)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) if e.kind() == async_nats::ConnectErrorKind::AuthorizationViolation => {
            anyhow::bail!("NATS at {url} refused the credentials: {e}")
        }
        Ok(Err(e)) => anyhow::bail!("NATS at {url} does not answer: {e}"),
        Err(_) => anyhow::bail!("NATS at {url} does not answer"),
    }
}
