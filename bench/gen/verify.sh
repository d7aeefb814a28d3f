#!/bin/sh
# Checks a generated capture with independent tools:
#   - tcpdump reads every packet;
#   - tshark finds no bad IPv4/TCP/UDP/ICMP/ICMPv6 checksum            (must be 0)
#   - tshark finds no TCP analysis flag: retransmission, lost segment, ACKed unseen segment,
#     out of order, port reuse, ... (sequence and acknowledgement numbers are consistent)
#                                                                          (must be 0)
#   - malformed packets are listed for information: tshark's dissectors sometimes trip over
#     random "ciphertext" (SSH) or guess another protocol from a port (HTTP on 22222: RTPproxy);
# then prints the top TCP conversations and the protocol hierarchy. Exit status 1 when a check
# fails.   usage: bench/gen/verify.sh FILE [MAX_PACKETS]   (MAX_PACKETS limits every pass)
# tcpdump runs with -S; even so it slows down badly with millions of connections (synflood):
# give MAX_PACKETS there.
set -eu
f=${1:?usage: verify.sh FILE [MAX_PACKETS]}
limit=${2:+-c $2}
command -v tshark >/dev/null || { echo "verify: tshark not installed" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

lines=$(tcpdump -S -nn $limit -r "$f" 2>/dev/null | wc -l)
echo "tcpdump: $lines packets read"
tcpdump -S -nn -c 5 -r "$f" 2>/dev/null

tshark -r "$f" $limit -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -Y 'tcp.checksum.status == "Bad" || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad" || tcp.analysis.flags || _ws.malformed' \
  -T fields -e frame.number -e tcp.checksum.status -e ip.checksum.status -e udp.checksum.status -e icmp.checksum.status \
  -e icmpv6.checksum.status -e tcp.analysis.flags -e _ws.malformed -e frame.protocols -e _ws.col.Info 2>/dev/null >"$tmp" || true
# checksum status in -T fields: 0 bad, 1 good, 2 unverified
bad=$(awk -F'\t' '$2=="0" || $3=="0" || $4=="0" || $5=="0" || $6=="0"' "$tmp" | wc -l)
flags=$(awk -F'\t' '$7!=""' "$tmp" | wc -l)
malformed=$(awk -F'\t' '$8!=""' "$tmp" | wc -l)
echo "tshark: $bad bad checksums, $flags TCP analysis flags, $malformed malformed (information)"
awk -F'\t' '$2=="0" || $3=="0" || $4=="0" || $5=="0" || $6=="0" || $7!=""' "$tmp" | head -20
awk -F'\t' '$8!="" {print "  malformed: frame " $1 ", " $9}' "$tmp" | head -10

tshark -r "$f" $limit -q -z conv,tcp 2>/dev/null | sed -n '1,10p'
tshark -r "$f" $limit -q -z io,phs 2>/dev/null | grep -v '^=' | head -40
[ "$bad" -eq 0 ] && [ "$flags" -eq 0 ]
