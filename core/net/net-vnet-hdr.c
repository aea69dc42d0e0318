/*
 * core/net/net-vnet-hdr.c - a NIC asking its backend about the virtio-net
 * header (tap with IFF_VNET_HDR): whether it has one, which offloads it
 * may hand over.  Without a peer, or a peer without the hook, the answer
 * is "no" and requests do nothing, so a NIC needs no special case.
 */
#include "net-internal.h"

TS_EXPORT bool ts_net_peer_has_vnet_hdr(TsNetClient *nic)
{
    TsNetClient *p = nic->peer;
    return p && p->ops->has_vnet_hdr && p->ops->has_vnet_hdr(p);
}

TS_EXPORT bool ts_net_peer_has_ufo(TsNetClient *nic)
{
    TsNetClient *p = nic->peer;
    return p && p->ops->has_ufo && p->ops->has_ufo(p);
}

TS_EXPORT void ts_net_peer_set_vnet_hdr_len(TsNetClient *nic, int len)
{
    TsNetClient *p = nic->peer;
    if (p && p->ops->set_vnet_hdr_len) {
        p->ops->set_vnet_hdr_len(p, len);
    }
}

TS_EXPORT void ts_net_peer_set_offload(TsNetClient *nic,
                                       const TsNetOffloads *o)
{
    TsNetClient *p = nic->peer;
    if (p && p->ops->set_offload) {
        p->ops->set_offload(p, o);
    }
}

TS_EXPORT void ts_net_peer_using_vnet_hdr(TsNetClient *nic, bool enable)
{
    TsNetClient *p = nic->peer;
    if (p && p->ops->using_vnet_hdr) {
        p->ops->using_vnet_hdr(p, enable);
    }
}
