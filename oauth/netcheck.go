package oauth

import (
	"net/netip"
	"strings"
)

// blockedPrefixes are the ranges an outbound fetch never reaches (LX-8,
// PX-10): everything that is not public unicast on the internet.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"10.0.0.0/8",         // private
		"100.64.0.0/10",      // CGNAT (shared address space)
		"127.0.0.0/8",        // loopback (see allowLoopback)
		"169.254.0.0/16",     // link-local, cloud metadata endpoints
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // documentation (TEST-NET-1)
		"192.88.99.0/24",     // 6to4 relay anycast
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // documentation (TEST-NET-2)
		"203.0.113.0/24",     // documentation (TEST-NET-3)
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, and broadcast
		"::/128",             // unspecified
		"::1/128",            // loopback (see allowLoopback)
		"::/96",              // IPv4-compatible (deprecated, embeds IPv4)
		"::ffff:0:0/96",      // IPv4-mapped
		"64:ff9b::/96",       // NAT64
		"64:ff9b:1::/48",     // local-use NAT64
		"100::/64",           // discard-only
		"2001::/32",          // Teredo (embeds IPv4)
		"2001:2::/48",        // benchmarking
		"2001:10::/28",       // ORCHID
		"2001:20::/28",       // ORCHIDv2
		"2001:db8::/32",      // documentation
		"2002::/16",          // 6to4 (embeds IPv4)
		"3fff::/20",          // documentation
		"5f00::/16",          // segment routing SIDs
		"fc00::/7",           // unique local
		"fe80::/10",          // link-local
		"fec0::/10",          // site-local (deprecated)
		"ff00::/8",           // multicast
		"255.255.255.255/32", // broadcast (inside 240/4, named for clarity)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// loopbackPrefixes are what LATCHKEY_TEST_INSECURE_LOOPBACK_FETCH opens.
var loopbackPrefixes = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// addrAllowed reports whether an outbound connection may go to a. With
// allowLoopback, plain loopback (127/8, ::1) is allowed and nothing else
// opens up: IPv4-mapped loopback stays blocked.
func addrAllowed(a netip.Addr, allowLoopback bool) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	if allowLoopback {
		for _, p := range loopbackPrefixes {
			if p.Contains(a) {
				return true
			}
		}
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	// IPv6 global unicast is 2000::/3 (RFC 4291); everything else is
	// reserved or special (SIIT ::ffff:0:0:0/96, 100::/8, …).
	if a.Is6() && !globalUnicast6.Contains(a) {
		return false
	}
	return a.IsGlobalUnicast()
}

// numericHost reports whether a host name is an IP address in one of the
// legacy spellings inet_aton accepts (2130706433, 0x7f.1, 0177.0.0.1,
// 127.1): no public DNS name ends in a numeric label, and resolvers that
// would turn these into addresses must never see them.
func numericHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return true
	}
	if strings.HasPrefix(strings.ToLower(last), "0x") {
		return true
	}
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
