//! `TRUSTED_PROXIES`: the load balancers whose `X-Forwarded-For` names the
//! client a request comes from, for the login rate limit.
//!
//! Behind a load balancer every connection comes from the balancer, so the
//! client's own address must be read from `X-Forwarded-For`. That header is
//! whatever the sender wrote, so it is believed only from the proxies named
//! in `TRUSTED_PROXIES`, and only as far as they vouch for it: the entries
//! are read from the right (the one the nearest proxy added) and the first
//! address that is not itself a trusted proxy is the client. A client that
//! sends its own `X-Forwarded-For` therefore only adds entries to the left
//! of the one its proxy appended, and cannot choose the address it is
//! counted under.

use std::net::IpAddr;

use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks
    /// (`127.0.0.1, 10.0.0.0/8, ::1`); the error names the entry that is
    /// neither.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("{entry:?} is not an IP address or a network like 10.0.0.0/8")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// True when no proxy is trusted (the default).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        let addr = unmapped(addr);
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client behind a request: the peer itself, unless the peer is a
    /// trusted proxy, in which case the nearest untrusted address of its
    /// `X-Forwarded-For`. A header that cannot be read as a list of
    /// addresses is not believed at all.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut entries = Vec::new();
        for value in forwarded_for {
            for entry in value.split(',') {
                match entry.trim().parse::<IpAddr>() {
                    Ok(addr) => entries.push(addr),
                    Err(_) => return peer,
                }
            }
        }
        let mut client = peer;
        for addr in entries.into_iter().rev() {
            client = addr;
            if !self.trusts(addr) {
                break;
            }
        }
        client
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket
/// reports IPv4 peers) as the IPv4 address, so `127.0.0.1` trusts it.
fn unmapped(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    #[test]
    fn with_no_trusted_proxy_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), &["198.51.100.7"]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_it_appended() {
        let trusted = proxies("127.0.0.1");
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_client_cannot_choose_its_address_by_sending_the_header_itself() {
        let trusted = proxies("127.0.0.1");
        // The client wrote "203.0.113.1"; its proxy appended the real address.
        let seen = trusted.client(ip("127.0.0.1"), &["203.0.113.1, 198.51.100.7"]);
        assert_eq!(seen, ip("198.51.100.7"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_address() {
        let trusted = proxies("127.0.0.1, 10.0.0.0/8");
        let seen = trusted.client(ip("127.0.0.1"), &["203.0.113.1, 198.51.100.7", "10.1.2.3"]);
        assert_eq!(seen, ip("198.51.100.7"));
    }

    #[test]
    fn a_request_from_an_untrusted_peer_is_counted_under_the_peer() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(
            trusted.client(ip("192.0.2.9"), &["198.51.100.7"]),
            ip("192.0.2.9")
        );
    }

    #[test]
    fn an_unreadable_header_is_not_believed() {
        let trusted = proxies("127.0.0.1");
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &["unknown, 198.51.100.7"]),
            ip("127.0.0.1")
        );
        assert_eq!(trusted.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
    }

    #[test]
    fn an_ipv4_mapped_peer_is_trusted_as_its_ipv4_address() {
        let trusted = proxies("127.0.0.1");
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_setting_names_the_entry_it_cannot_read() {
        assert_eq!(proxies(" 127.0.0.1 ,::1/128,").0.len(), 2);
        let err = TrustedProxies::parse("127.0.0.1, nginx").unwrap_err();
        assert!(err.contains("\"nginx\""), "{err}");
    }
}
