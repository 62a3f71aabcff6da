//! The hosts an admin lets HTTP request nodes reach, and the host a URL template names when it is
//! written out (for the builder's live check and the server's). Shared with the browser, so it
//! parses URLs by hand instead of pulling a URL crate into the WASM; the engine parses each URL it
//! sends with `url` before anything leaves.

/// Hosts one allow-list may hold.
pub const MAX_ALLOWED_HOSTS: usize = 200;

/// The hosts HTTP request nodes may reach: exact names (`api.example.com`, `10.0.0.7`) or every
/// name under a domain (`*.example.com`, which does not include `example.com` itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// One host a line (or separated by commas or spaces); blank lines are skipped. Names are
    /// lower-cased and kept in the order given, without repeats.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut hosts: Vec<String> = Vec::new();
        for raw in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            let host = raw.to_ascii_lowercase();
            let name = host.strip_prefix("*.").unwrap_or(&host);
            let fine = !name.is_empty()
                && name.len() <= 253
                && !name.starts_with(['.', '-'])
                && !name.ends_with(['.', '-'])
                && !name.contains("..")
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !fine {
                return Err(format!(
                    "{raw:?} is not a host; write a name such as api.example.com, *.example.com for every \
                     name under a domain, or an address (no scheme, path or port)"
                ));
            }
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        if hosts.len() > MAX_ALLOWED_HOSTS {
            return Err(format!("at most {MAX_ALLOWED_HOSTS} hosts; use *.example.com for a whole domain"));
        }
        Ok(AllowedHosts(hosts))
    }

    pub fn hosts(&self) -> &[String] {
        &self.0
    }

    /// Whether a request may go to `host` (as in a URL, any case).
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0.iter().any(|allowed| match allowed.strip_prefix("*.") {
            Some(domain) => {
                host.len() > domain.len() + 1 && host.ends_with(domain) && {
                    let dot = host.len() - domain.len() - 1;
                    host.as_bytes()[dot] == b'.'
                }
            }
            None => *allowed == host,
        })
    }
}

/// The scheme and host a URL template names, when both are written out (no `{{` or `{%` before
/// the path); `None` when they come from the inputs and can only be checked as the node runs.
pub fn literal_scheme_and_host(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if scheme.contains('{') || authority.contains('{') || authority.is_empty() {
        return None;
    }
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        format!("[{}]", v6.split(']').next().unwrap_or_default())
    } else {
        host_port.split(':').next().unwrap_or_default().to_owned()
    };
    Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_one_a_line_and_bad_ones_are_named() {
        let hosts = AllowedHosts::parse("api.example.com\n\n *.Example.org, 10.0.0.7 api.example.com").unwrap();
        assert_eq!(hosts.hosts(), ["api.example.com", "*.example.org", "10.0.0.7"]);
        for bad in ["https://api.example.com", "api.example.com/v1", "exa_mple", "*.", "a..b", "-a.com"] {
            let e = AllowedHosts::parse(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert_eq!(AllowedHosts::parse("").unwrap(), AllowedHosts::default());
    }

    #[test]
    fn a_wildcard_covers_names_under_its_domain_only() {
        let hosts = AllowedHosts::parse("api.example.com *.example.org").unwrap();
        assert!(hosts.allows("API.example.com"));
        assert!(hosts.allows("docs.example.org"));
        assert!(hosts.allows("a.b.example.org."));
        assert!(!hosts.allows("example.org"));
        assert!(!hosts.allows("badexample.org"));
        assert!(!hosts.allows("example.com"));
        assert!(!hosts.allows("api.example.com.evil.net"));
        assert!(!AllowedHosts::default().allows("api.example.com"));
    }

    #[test]
    fn the_host_of_a_written_out_url_is_found() {
        let found = |u: &str| literal_scheme_and_host(u).map(|(s, h)| format!("{s} {h}"));
        assert_eq!(found("https://API.example.com/v1?q={{ q }}").as_deref(), Some("https api.example.com"));
        assert_eq!(found("http://user:pw@host.test:8080/x").as_deref(), Some("http host.test"));
        assert_eq!(found("http://[::1]:80/").as_deref(), Some("http [::1]"));
        assert_eq!(found("{{ base }}/v1"), None);
        assert_eq!(found("https://{{ host }}/v1"), None);
        assert_eq!(found("not a url"), None);
    }
}
