/*
 * NULL for every pointer parameter of every sealed-sender export
 * (ffi/src/sealed.rs): each call returns SW_NULL_POINTER and changes
 * nothing, out handles are set to NULL, every `_free(NULL)` is a no-op, and
 * the optional pointers behave as documented (an `sw_rng *` of NULL is the
 * OS generator; an output buffer of NULL with length 0 is a size query).
 *
 * ffi/tests/header.rs scans this file with test_null.c: a sealed-sender
 * export without its NULL calls here fails that test.
 */
#include "check.h"

#define NUL(call) CHECK_RC(call, SW_NULL_POINTER)

int main(void) {
    /* Fixtures: Alice and Bob, a server key and Alice's certificate, Bob's
     * trusted keys, a 1:1 envelope from Alice opened by Bob, a group post
     * of Alice's sealed for Bob and opened by him, a profile key. */
    uint8_t seed[SW_SEED_LEN];
    memset(seed, 0x5e, sizeof seed);
    sw_rng *rng = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &rng));
    sw_identity *alice = NULL, *bob = NULL;
    OK(sw_identity_new(rng, &alice));
    OK(sw_identity_new(rng, &bob));
    size_t len = 0, count = 0;
    uint8_t ka[32], kb[32];
    OK(sw_identity_public_key(alice, ka, sizeof ka, &len));
    OK(sw_identity_public_key(bob, kb, sizeof kb, &len));
    sw_server_key *server = NULL;
    OK(sw_server_key_new(rng, 7, &server));
    uint8_t pub[SW_SERVER_PUBLIC_KEY_LEN], cert[SW_MAX_SENDER_CERTIFICATE_LEN];
    size_t cert_len = 0;
    OK(sw_server_key_public(server, pub, sizeof pub, &len));
    OK(sw_server_key_issue(server, (const uint8_t *)"alice", 5, 1, ka, 32, T0 + SECONDS(86400),
                           cert, sizeof cert, &cert_len));
    sw_trusted_server_keys *trusted = NULL;
    OK(sw_trusted_server_keys_new(&trusted));
    OK(sw_trusted_server_keys_add(trusted, pub, sizeof pub));
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new(rng, bob, &store));
    uint8_t bundle[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle(store, bob, bundle, sizeof bundle, &bundle_len));
    sw_device_sessions *to_bob = NULL, *from_alice = NULL;
    OK(sw_device_sessions_new(&to_bob));
    OK(sw_device_sessions_new(&from_alice));
    OK(sw_device_sessions_initiate(rng, to_bob, alice, kb, 32, bundle, bundle_len));
    uint8_t msg[4096], env[8192], plain[8192];
    size_t msg_len = 0, env_len = 0;
    OK(sw_device_sessions_encrypt(rng, to_bob, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                  (const uint8_t *)"hi", 2, msg, sizeof msg, &msg_len));
    OK(sw_sealed_seal(rng, kb, 32, cert, cert_len, msg, msg_len, env, sizeof env, &env_len));
    sw_unsealed *unsealed = NULL;
    OK(sw_sealed_open(bob, env, env_len, &unsealed));
    sw_device_list *alices = NULL;
    OK(sw_device_list_new((const uint8_t *)"alice", 5, &alices));
    sw_device_entry entry = {.device_id = 1};
    memcpy(entry.identity, ka, 32);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    OK(sw_device_list_update(alices, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    uint8_t gid[SW_GROUP_ID_LEN];
    memset(gid, 0x61, sizeof gid);
    sw_group *alice_group = NULL, *bob_group = NULL;
    sw_distribution *dist = NULL, *rotation = NULL;
    OK(sw_group_create(rng, T0, gid, sizeof gid, ka, 32, kb, 32, &alice_group, &dist));
    sw_distribution_free(dist);
    OK(sw_group_create(rng, T0, gid, sizeof gid, kb, 32, ka, 32, &bob_group, &dist));
    sw_distribution_free(dist);
    sw_channel_subscriber *sub = NULL;
    OK(sw_channel_subscriber_new(gid, sizeof gid, kb, 32, ka, 32, &sub));
    uint8_t post[4096], multi[8192], part[8192];
    size_t post_len = 0, multi_len = 0, part_len = 0;
    OK(sw_group_post(rng, alice_group, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"p", 1, post,
                     sizeof post, &post_len, &rotation));
    CHECK(rotation == NULL);
    OK(sw_sealed_seal_post(rng, kb, 32, cert, cert_len, post, post_len, multi, sizeof multi,
                           &multi_len));
    OK(sw_multi_recipient_part(multi, multi_len, 0, part, sizeof part, &part_len));
    sw_unsealed_post *opened = NULL;
    OK(sw_sealed_open_post(bob, part, part_len, &opened));
    sw_profile_key *profile = NULL;
    OK(sw_profile_key_new(rng, &profile));
    uint8_t access[SW_ACCESS_KEY_LEN], buf[64], state[4096];
    size_t state_len = 0;
    OK(sw_profile_key_access_key(profile, access, sizeof access, &len));
    uint8_t storage_key[SW_STORAGE_KEY_LEN];
    memset(storage_key, 0x42, sizeof storage_key);
    sw_sender_certificate_info cinfo;
    sw_received_info info;
    sw_group_received_info ginfo;
    uint32_t id = 0;
    bool flag = false;

    /* sw_server_key */
    sw_server_key *s2 = server;
    NUL(sw_server_key_new(rng, 1, NULL));
    NUL(sw_server_key_from_seed(1, NULL, 32, &s2));
    CHECK(s2 == NULL); /* out handles are set to NULL on error */
    NUL(sw_server_key_from_seed(1, seed, 32, NULL));
    NUL(sw_server_key_danger_export_seed(NULL, buf, sizeof buf, &len));
    NUL(sw_server_key_danger_export_seed(server, NULL, sizeof buf, &len));
    NUL(sw_server_key_danger_export_seed(server, buf, sizeof buf, NULL));
    CHECK_RC(sw_server_key_danger_export_seed(server, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_SERVER_KEY_SEED_LEN);
    NUL(sw_server_key_id(NULL, &id));
    NUL(sw_server_key_id(server, NULL));
    NUL(sw_server_key_public(NULL, buf, sizeof buf, &len));
    NUL(sw_server_key_public(server, NULL, sizeof buf, &len));
    NUL(sw_server_key_public(server, buf, sizeof buf, NULL));
    NUL(sw_server_key_issue(NULL, (const uint8_t *)"a", 1, 1, ka, 32, T0, buf, sizeof buf, &len));
    NUL(sw_server_key_issue(server, NULL, 1, 1, ka, 32, T0, state, sizeof state, &len));
    NUL(sw_server_key_issue(server, (const uint8_t *)"a", 1, 1, NULL, 32, T0, state,
                            sizeof state, &len));
    NUL(sw_server_key_issue(server, (const uint8_t *)"a", 1, 1, ka, 32, T0, NULL, sizeof state,
                            &len));
    NUL(sw_server_key_issue(server, (const uint8_t *)"a", 1, 1, ka, 32, T0, state, sizeof state,
                            NULL));
    sw_server_key_free(NULL);
    NUL(sw_server_public_key_id(NULL, sizeof pub, &id));
    NUL(sw_server_public_key_id(pub, sizeof pub, NULL));
    NUL(sw_sender_certificate_parse(NULL, cert_len, buf, sizeof buf, &len, &cinfo));
    NUL(sw_sender_certificate_parse(cert, cert_len, NULL, sizeof buf, &len, &cinfo));
    NUL(sw_sender_certificate_parse(cert, cert_len, buf, sizeof buf, NULL, &cinfo));
    NUL(sw_sender_certificate_parse(cert, cert_len, buf, sizeof buf, &len, NULL));
    CHECK_RC(sw_sender_certificate_parse(cert, cert_len, NULL, 0, &len, &cinfo),
             SW_BUFFER_TOO_SMALL);
    CHECK(len == 5);

    /* sw_trusted_server_keys */
    sw_trusted_server_keys *t2 = trusted;
    NUL(sw_trusted_server_keys_new(NULL));
    NUL(sw_trusted_server_keys_add(NULL, pub, sizeof pub));
    NUL(sw_trusted_server_keys_add(trusted, NULL, sizeof pub));
    NUL(sw_trusted_server_keys_remove(NULL, 7, &flag));
    NUL(sw_trusted_server_keys_remove(trusted, 7, NULL));
    NUL(sw_trusted_server_keys_contains(NULL, 7, &flag));
    NUL(sw_trusted_server_keys_contains(trusted, 7, NULL));
    NUL(sw_trusted_server_keys_len(NULL, &count));
    NUL(sw_trusted_server_keys_len(trusted, NULL));
    OK(sw_trusted_server_keys_len(trusted, &count));
    CHECK(count == 1); /* nothing changed */
    sw_trusted_server_keys_free(NULL);
    NUL(sw_trusted_server_keys_save(NULL, state, sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save(trusted, NULL, sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save(trusted, state, sizeof state, NULL));
    OK(sw_trusted_server_keys_save(trusted, state, sizeof state, &state_len));
    NUL(sw_trusted_server_keys_load(NULL, state_len, &t2));
    CHECK(t2 == NULL);
    NUL(sw_trusted_server_keys_load(state, state_len, NULL));
    NUL(sw_trusted_server_keys_save_sealed(rng, NULL, storage_key, 32, &TEST_ADDRESS, state,
                                           sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save_sealed(rng, trusted, NULL, 32, &TEST_ADDRESS, state,
                                           sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save_sealed(rng, trusted, storage_key, 32, NULL, state,
                                           sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save_sealed(rng, trusted, storage_key, 32, &TEST_ADDRESS, NULL,
                                           sizeof state, &state_len));
    NUL(sw_trusted_server_keys_save_sealed(rng, trusted, storage_key, 32, &TEST_ADDRESS, state,
                                           sizeof state, NULL));
    OK(sw_trusted_server_keys_save_sealed(NULL, trusted, storage_key, 32, &TEST_ADDRESS, state,
                                          sizeof state, &state_len));
    NUL(sw_trusted_server_keys_load_sealed(NULL, 32, &TEST_ADDRESS, state, state_len, &t2));
    NUL(sw_trusted_server_keys_load_sealed(storage_key, 32, NULL, state, state_len, &t2));
    NUL(sw_trusted_server_keys_load_sealed(storage_key, 32, &TEST_ADDRESS, NULL, state_len,
                                           &t2));
    NUL(sw_trusted_server_keys_load_sealed(storage_key, 32, &TEST_ADDRESS, state, state_len,
                                           NULL));
    CHECK(t2 == NULL);

    /* 1:1 envelopes */
    NUL(sw_sealed_seal(rng, NULL, 32, cert, cert_len, msg, msg_len, state, sizeof state, &len));
    NUL(sw_sealed_seal(rng, kb, 32, NULL, cert_len, msg, msg_len, state, sizeof state, &len));
    NUL(sw_sealed_seal(rng, kb, 32, cert, cert_len, NULL, msg_len, state, sizeof state, &len));
    NUL(sw_sealed_seal(rng, kb, 32, cert, cert_len, msg, msg_len, NULL, sizeof state, &len));
    NUL(sw_sealed_seal(rng, kb, 32, cert, cert_len, msg, msg_len, state, sizeof state, NULL));
    CHECK_RC(sw_sealed_seal(NULL, kb, 32, cert, cert_len, msg, msg_len, NULL, 0, &len),
             SW_BUFFER_TOO_SMALL); /* a size query */
    CHECK(len == env_len);
    NUL(sw_sealed_commitment(NULL, env_len, buf, sizeof buf, &len));
    NUL(sw_sealed_commitment(env, env_len, NULL, sizeof buf, &len));
    NUL(sw_sealed_commitment(env, env_len, buf, sizeof buf, NULL));
    sw_unsealed *u2 = unsealed;
    NUL(sw_sealed_open(NULL, env, env_len, &u2));
    CHECK(u2 == NULL);
    NUL(sw_sealed_open(bob, NULL, env_len, &u2));
    NUL(sw_sealed_open(bob, env, env_len, NULL));
    NUL(sw_unsealed_sender(NULL, buf, sizeof buf, &len, &id));
    NUL(sw_unsealed_sender(unsealed, NULL, sizeof buf, &len, &id));
    NUL(sw_unsealed_sender(unsealed, buf, sizeof buf, NULL, &id));
    NUL(sw_unsealed_sender(unsealed, buf, sizeof buf, &len, NULL));
    NUL(sw_unsealed_message_len(NULL, &len));
    NUL(sw_unsealed_message_len(unsealed, NULL));
    NUL(sw_unsealed_decrypt(NULL, T0, trusted, bob, store, alices, from_alice, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, NULL, bob, store, alices, from_alice, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, NULL, store, alices, from_alice, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, NULL, alices, from_alice, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, NULL, from_alice, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, alices, NULL, plain,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, alices, from_alice, NULL,
                            sizeof plain, &len, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, alices, from_alice, plain,
                            sizeof plain, NULL, &info));
    NUL(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, alices, from_alice, plain,
                            sizeof plain, &len, NULL));
    /* None of them changed anything: the message still decrypts. */
    OK(sw_unsealed_decrypt(unsealed, T0, trusted, bob, store, alices, from_alice, plain,
                           sizeof plain, &len, &info));
    CHECK(len == 2 && memcmp(plain, "hi", 2) == 0);
    sw_unsealed_free(NULL);

    /* Multi-recipient posts */
    NUL(sw_sealed_seal_post(rng, NULL, 32, cert, cert_len, post, post_len, state, sizeof state,
                            &len));
    NUL(sw_sealed_seal_post(rng, kb, 32, NULL, cert_len, post, post_len, state, sizeof state,
                            &len));
    NUL(sw_sealed_seal_post(rng, kb, 32, cert, cert_len, NULL, post_len, state, sizeof state,
                            &len));
    NUL(sw_sealed_seal_post(rng, kb, 32, cert, cert_len, post, post_len, NULL, sizeof state,
                            &len));
    NUL(sw_sealed_seal_post(rng, kb, 32, cert, cert_len, post, post_len, state, sizeof state,
                            NULL));
    NUL(sw_multi_recipient_count(NULL, multi_len, &count));
    NUL(sw_multi_recipient_count(multi, multi_len, NULL));
    NUL(sw_multi_recipient_recipient(NULL, multi_len, 0, buf, sizeof buf, &len));
    NUL(sw_multi_recipient_recipient(multi, multi_len, 0, NULL, sizeof buf, &len));
    NUL(sw_multi_recipient_recipient(multi, multi_len, 0, buf, sizeof buf, NULL));
    NUL(sw_multi_recipient_part(NULL, multi_len, 0, state, sizeof state, &len));
    NUL(sw_multi_recipient_part(multi, multi_len, 0, NULL, sizeof state, &len));
    NUL(sw_multi_recipient_part(multi, multi_len, 0, state, sizeof state, NULL));
    sw_unsealed_post *p2 = opened;
    NUL(sw_sealed_open_post(NULL, part, part_len, &p2));
    CHECK(p2 == NULL);
    NUL(sw_sealed_open_post(bob, NULL, part_len, &p2));
    NUL(sw_sealed_open_post(bob, part, part_len, NULL));
    NUL(sw_unsealed_post_sender(NULL, buf, sizeof buf, &len, &id));
    NUL(sw_unsealed_post_sender(opened, NULL, sizeof buf, &len, &id));
    NUL(sw_unsealed_post_sender(opened, buf, sizeof buf, NULL, &id));
    NUL(sw_unsealed_post_sender(opened, buf, sizeof buf, &len, NULL));
    NUL(sw_unsealed_post_group_id(NULL, buf, sizeof buf, &len));
    NUL(sw_unsealed_post_group_id(opened, NULL, sizeof buf, &len));
    NUL(sw_unsealed_post_group_id(opened, buf, sizeof buf, NULL));
    NUL(sw_unsealed_post_len(NULL, &len));
    NUL(sw_unsealed_post_len(opened, NULL));
    NUL(sw_unsealed_post_receive(NULL, T0, trusted, alices, bob_group, plain, sizeof plain, &len,
                                 &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, NULL, alices, bob_group, plain, sizeof plain, &len,
                                 &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, trusted, NULL, bob_group, plain, sizeof plain, &len,
                                 &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, trusted, alices, NULL, plain, sizeof plain, &len,
                                 &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, trusted, alices, bob_group, NULL, sizeof plain, &len,
                                 &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, trusted, alices, bob_group, plain, sizeof plain,
                                 NULL, &ginfo));
    NUL(sw_unsealed_post_receive(opened, T0, trusted, alices, bob_group, plain, sizeof plain, &len,
                                 NULL));
    NUL(sw_unsealed_post_receive_channel(NULL, T0, trusted, alices, sub, plain, sizeof plain, &len,
                                         &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, NULL, alices, sub, plain, sizeof plain, &len,
                                         &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, trusted, NULL, sub, plain, sizeof plain, &len,
                                         &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, trusted, alices, NULL, plain, sizeof plain,
                                         &len, &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, trusted, alices, sub, NULL, sizeof plain,
                                         &len, &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, trusted, alices, sub, plain, sizeof plain,
                                         NULL, &ginfo));
    NUL(sw_unsealed_post_receive_channel(opened, T0, trusted, alices, sub, plain, sizeof plain,
                                         &len, NULL));
    sw_unsealed_post_free(NULL);

    /* Access keys */
    sw_profile_key *k2 = profile;
    NUL(sw_profile_key_new(rng, NULL));
    NUL(sw_profile_key_from_bytes(NULL, 32, &k2));
    CHECK(k2 == NULL);
    NUL(sw_profile_key_from_bytes(seed, 32, NULL));
    NUL(sw_profile_key_danger_export(NULL, buf, sizeof buf, &len));
    NUL(sw_profile_key_danger_export(profile, NULL, sizeof buf, &len));
    NUL(sw_profile_key_danger_export(profile, buf, sizeof buf, NULL));
    NUL(sw_profile_key_access_key(NULL, buf, sizeof buf, &len));
    NUL(sw_profile_key_access_key(profile, NULL, sizeof buf, &len));
    NUL(sw_profile_key_access_key(profile, buf, sizeof buf, NULL));
    sw_profile_key_free(NULL);
    NUL(sw_access_key_verify(NULL, 16, access, 16, &flag));
    NUL(sw_access_key_verify(access, 16, NULL, 16, &flag));
    NUL(sw_access_key_verify(access, 16, access, 16, NULL));
    OK(sw_access_key_verify(access, 16, NULL, 0, &flag)); /* an empty token */
    CHECK(!flag);
    NUL(sw_access_key_combine(NULL, 16, buf, sizeof buf, &len));
    NUL(sw_access_key_combine(access, 16, NULL, sizeof buf, &len));
    NUL(sw_access_key_combine(access, 16, buf, sizeof buf, NULL));

    sw_profile_key_free(profile);
    sw_unsealed_post_free(opened);
    sw_channel_subscriber_free(sub);
    sw_group_free(bob_group);
    sw_group_free(alice_group);
    sw_device_list_free(alices);
    sw_unsealed_free(unsealed);
    sw_device_sessions_free(from_alice);
    sw_device_sessions_free(to_bob);
    sw_prekey_store_free(store);
    sw_trusted_server_keys_free(trusted);
    sw_server_key_free(server);
    sw_identity_free(bob);
    sw_identity_free(alice);
    sw_rng_free(rng);
    printf("test_sealed_null: %lu checks passed\n", checks_run);
    return 0;
}
