//! Which addresses the crawler may reach.
//!
//! A knowledge-base crawl fetches URLs a user typed (and every link and redirect they lead to), from
//! inside the server's network. Without a policy, `http://169.254.169.254/` or `http://localhost:8080/admin`
//! would be read with the server's privileges (SSRF). So every address that isn't plainly public is refused
//! unless an admin named the host or address in `WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Why an outbound fetch was refused. The text is shown to the admin who started the crawl.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{url}: only http and https URLs are fetched, not {scheme}")]
    Scheme { url: String, scheme: String },
    #[error("{url}: URLs with a user name or password are not fetched")]
    Userinfo { url: String },
    #[error("{url}: the URL has no host")]
    NoHost { url: String },
    #[error(
        "{} {class}; crawling private addresses is off \
         (WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS allows named hosts)",
        subject(host, ip)
    )]
    Address { host: String, ip: IpAddr, class: &'static str },
    #[error("{host} has no address that may be crawled")]
    NoAllowedAddress { host: String },
    #[error("more than {max} redirects")]
    TooManyRedirects { max: usize },
}

/// Names the host too when the refused address came from resolving it.
fn subject(host: &str, ip: &IpAddr) -> String {
    if host.trim_matches(['[', ']']).parse::<IpAddr>().ok() == Some(*ip) || host.is_empty() {
        format!("{ip} is")
    } else {
        format!("{host} resolves to {ip}, which is")
    }
}

/// The outbound-address policy. The default refuses every non-public address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Host names or literal addresses that may be private (an intranet wiki, the tests' local site).
    pub allow_private_hosts: Vec<String>,
}

impl AddressPolicy {
    pub fn new(allow_private_hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { allow_private_hosts: allow_private_hosts.into_iter().map(Into::into).collect() }
    }

    /// Parses the comma-separated `WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS` value.
    pub fn from_list(list: &str) -> Self {
        Self::new(list.split(',').map(str::trim).filter(|s| !s.is_empty()))
    }

    /// Checks what can be known before resolving: scheme, userinfo, host, and literal IP hosts (those
    /// never reach the DNS resolver, so this is the only place they are checked).
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme { url: url.to_string(), scheme: url.scheme().to_owned() });
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Credentials in a crawled URL would be sent to whatever host the link names.
            return Err(Refusal::Userinfo { url: url.to_string() });
        }
        match url.host() {
            None | Some(Host::Domain("")) => Err(Refusal::NoHost { url: url.to_string() }),
            Some(Host::Domain(_)) => Ok(()),
            Some(Host::Ipv4(ip)) => self.check_ip(&ip.to_string(), IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(&ip.to_string(), IpAddr::V6(ip)),
        }
    }

    /// Checks an address `host` resolved to (or a literal address, with `host` its text).
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        match non_public_class(ip) {
            None => Ok(()),
            Some(_) if self.allows(host, ip) => Ok(()),
            Some(class) => Err(Refusal::Address { host: host.to_owned(), ip, class }),
        }
    }

    fn allows(&self, host: &str, ip: IpAddr) -> bool {
        // DNS names are case-insensitive and may carry the root's trailing dot.
        let host = host.trim_end_matches('.').trim_matches(['[', ']']);
        self.allow_private_hosts.iter().any(|entry| {
            let entry = entry.trim().trim_end_matches('.').trim_matches(['[', ']']);
            entry.eq_ignore_ascii_case(host) || entry.parse::<IpAddr>().ok() == Some(ip)
        })
    }
}

/// What makes `ip` not a public unicast address, or `None` if it is one.
pub fn non_public_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "the cloud metadata address",
        _ if ip.is_broadcast() => "the broadcast address",
        (0, _, _) => "an unspecified (\"this network\") address",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (169, 254, _) => "a link-local address",
        (100, 64..=127, _) => "a shared (carrier-grade NAT) address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 0, 0) | (198, 18..=19, _) => "a reserved address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved address",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    // Addresses that carry an IPv4 address reach that address: judge them by it.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_class(embedded(s[6], s[7])); // NAT64 well-known prefix
    }
    if s[0] == 0x2002 {
        return v4_class(embedded(s[1], s[2])); // 6to4
    }
    Some(match s[0] {
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        // IPv4-compatible (deprecated) and other ::/96 addresses.
        0 if s[1..6] == [0; 5] => "a reserved address",
        0x64 if s[1] == 0xff9b && s[2] == 1 => "a private (local NAT64) address",
        0xfc00..=0xfdff => "a unique-local (private) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local (private) address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        0x3fff if s[1] <= 0x0fff => "a documentation address",
        0x2001 if s[1] == 0 => "a Teredo tunnel address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> Option<&'static str> {
        non_public_class(ip.parse().unwrap())
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn every_non_public_ipv4_class_is_refused() {
        for (ip, class) in [
            ("127.0.0.1", "a loopback address"),
            ("127.8.9.10", "a loopback address"),
            ("10.1.2.3", "a private address"),
            ("172.16.0.1", "a private address"),
            ("172.31.255.254", "a private address"),
            ("192.168.1.1", "a private address"),
            ("169.254.10.1", "a link-local address"),
            ("169.254.169.254", "the cloud metadata address"),
            ("100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("100.127.255.254", "a shared (carrier-grade NAT) address"),
            ("0.0.0.0", "an unspecified (\"this network\") address"),
            ("255.255.255.255", "the broadcast address"),
            ("224.0.0.251", "a multicast address"),
            ("192.0.2.7", "a documentation address"),
            ("198.51.100.7", "a documentation address"),
            ("203.0.113.7", "a documentation address"),
            ("240.0.0.1", "a reserved address"),
        ] {
            assert_eq!(refused(ip), Some(class), "{ip}");
        }
    }

    #[test]
    fn public_addresses_next_to_the_private_ranges_are_allowed() {
        for ip in ["8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "1.1.1.1"] {
            assert_eq!(refused(ip), None, "{ip}");
        }
        for ip in ["2606:4700:4700::1111", "2a00:1450:4001:80b::200e"] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_non_public_ipv6_class_is_refused() {
        for (ip, class) in [
            ("::1", "a loopback address"),
            ("::", "an unspecified address"),
            ("fc00::1", "a unique-local (private) address"),
            ("fd12:3456::1", "a unique-local (private) address"),
            ("fe80::1", "a link-local address"),
            ("ff02::1", "a multicast address"),
            ("2001:db8::1", "a documentation address"),
        ] {
            assert_eq!(refused(ip), Some(class), "{ip}");
        }
    }

    #[test]
    fn ipv6_addresses_embedding_ipv4_are_judged_by_the_ipv4_address() {
        assert_eq!(refused("::ffff:127.0.0.1"), Some("a loopback address"));
        assert_eq!(refused("::ffff:169.254.169.254"), Some("the cloud metadata address"));
        assert_eq!(refused("::ffff:8.8.8.8"), None);
        assert_eq!(refused("64:ff9b::10.0.0.1"), Some("a private address"));
        assert_eq!(refused("64:ff9b::8.8.8.8"), None);
        assert_eq!(refused("2002:c0a8:0101::1"), Some("a private address"));
    }

    #[test]
    fn the_refusal_names_the_address_and_the_setting() {
        let err = AddressPolicy::default().check_ip("127.0.0.1", "127.0.0.1".parse().unwrap());
        assert_eq!(
            err.unwrap_err().to_string(),
            "127.0.0.1 is a loopback address; crawling private addresses is off \
             (WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS allows named hosts)"
        );
        let err = AddressPolicy::default().check_ip("wiki.corp", "10.0.0.5".parse().unwrap());
        assert!(
            err.unwrap_err().to_string().starts_with("wiki.corp resolves to 10.0.0.5, which is a private address;")
        );
    }

    #[test]
    fn an_allow_listed_host_name_or_address_may_be_private() {
        let policy = AddressPolicy::from_list(" Wiki.Corp , 127.0.0.1,::1");
        assert_eq!(policy.check_ip("wiki.corp.", "10.0.0.5".parse().unwrap()), Ok(()));
        assert_eq!(policy.check_ip("localhost", "127.0.0.1".parse().unwrap()), Ok(()));
        assert_eq!(policy.check_url(&url("http://[::1]:8080/")), Ok(()));
        assert!(policy.check_ip("other.corp", "10.0.0.5".parse().unwrap()).is_err());
        assert!(policy.check_url(&url("http://127.0.0.2/")).is_err());
    }

    #[test]
    fn only_http_and_https_urls_without_credentials_pass() {
        let policy = AddressPolicy::default();
        assert_eq!(policy.check_url(&url("https://example.com/a?b#c")), Ok(()));
        assert_eq!(policy.check_url(&url("http://example.com:8080/")), Ok(()));
        for bad in ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/plain,hi"] {
            assert!(matches!(policy.check_url(&url(bad)), Err(Refusal::Scheme { .. })), "{bad}");
        }
        assert!(matches!(policy.check_url(&url("http://user:pw@example.com/")), Err(Refusal::Userinfo { .. })));
        assert!(matches!(policy.check_url(&url("http://169.254.169.254/latest/")), Err(Refusal::Address { .. })));
        assert!(matches!(policy.check_url(&url("http://[::ffff:7f00:1]/")), Err(Refusal::Address { .. })));
        // The URL parser normalises decimal and hex IPv4 forms, so they can't slip through as names.
        assert!(matches!(policy.check_url(&url("http://2130706433/")), Err(Refusal::Address { .. })));
        assert!(matches!(policy.check_url(&url("http://0x7f.1/")), Err(Refusal::Address { .. })));
    }
}
