/*
 * core/net/net-options.h - the network options for cli/ (-netdev, -nic,
 * -net) and when in start-up they are acted on; and the option text
 * helpers the monitors share.
 */
#ifndef TESSERA_CORE_NET_OPTIONS_H
#define TESSERA_CORE_NET_OPTIONS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdio.h>

/* At parse time: check the grammar and queue (errors not prefixed). */
bool net_netdev_option(const char *arg, GError **errp);

/* The -netdev arguments queued so far, or NULL (-writeconfig). */
const GPtrArray *net_netdev_queued(void);
/* -set netdev.ID.KEY=VALUE: change a -netdev given before (false + errp:
 * QEMU's "there is no netdev \"ID\" defined", or the edited option's
 * error). */
bool net_netdev_set(const char *id, const char *key, const char *value,
                    GError **errp);

/* -nic and -net (net-nic-options.c), same. */
bool net_nic_option(const char *arg, GError **errp);
bool net_net_option(const char *arg, GError **errp);
/* -nic model=help. */
void net_print_nic_models(FILE *out);

/* `-netdev help` (arg "help"), `-netdev TYPE,help`; -nic and -net help
 * (`option` says which). */
bool net_answer_help(FILE *out, const char *option, const char *arg,
                     GError **errp);

/* Before the board: create the -netdev backends in order (errors
 * prefixed with the option). */
bool net_options_open(GError **errp);
/* After net_options_open: the backends of -nic and -net (and QEMU's
 * default network when no network option was given). */
bool net_nic_options_open(GError **errp);
/* Once the board exists, before -device: the NICs -nic and -net asked
 * for (those the board cannot have are warned about later). */
bool net_create_nics(GError **errp);
/* Once every device exists: QEMU's warnings about hubs and clients
 * without peers. */
void net_check_clients(void);
/* At exit: close every backend; forget queued options (tests). */
void net_close_all(void);

/* net-opts.c: key/value pairs ("k", "v", "k", "v", ...; g_ptr_array_unref)
 * from option text, from a JSON object, or from either. */
GPtrArray *net_opts_parse(const char *text, const char *implied_key,
                          GError **errp);
GPtrArray *net_opts_from_json(JsonObject *obj, GError **errp);
GPtrArray *net_opts_parse_any(const char *text, const char *implied_key,
                              GError **errp);

#endif
