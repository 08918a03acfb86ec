/*
 * NULL for every pointer parameter of every device export
 * (ffi/src/devices.rs): each call returns SW_NULL_POINTER and changes
 * nothing, out handles are set to NULL, every `_free(NULL)` is a no-op, and
 * the optional pointers behave as documented (an `sw_rng *` of NULL is the
 * OS generator; an output buffer of NULL with length 0 is a size query).
 * NULL inside the structs of sw_encrypt_for_devices is refused too.
 *
 * ffi/tests/header.rs scans this file with test_null.c: a device export
 * without its NULL calls here fails that test.
 */
#include "check.h"

#define NUL(call) CHECK_RC(call, SW_NULL_POINTER)

int main(void) {
    /* Fixtures: two identities, a prekey store and bundle, a device list,
     * device sessions with a pending session, a message, a recovery
     * request. */
    uint8_t seed[SW_SEED_LEN];
    memset(seed, 9, sizeof seed);
    sw_rng *rng = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &rng));
    sw_identity *alice = NULL, *bob = NULL;
    OK(sw_identity_new(rng, &alice));
    OK(sw_identity_new(rng, &bob));
    size_t len = 0, count = 0;
    uint8_t ka[32], kb[32];
    OK(sw_identity_public_key(alice, ka, sizeof ka, &len));
    OK(sw_identity_public_key(bob, kb, sizeof kb, &len));
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new(rng, bob, &store));
    uint8_t bundle[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle(store, bob, bundle, sizeof bundle, &bundle_len));
    sw_device_list *list = NULL;
    OK(sw_device_list_new((const uint8_t *)"bob", 3, &list));
    sw_device_entry entry = {.device_id = 1};
    memcpy(entry.identity, kb, 32);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    OK(sw_device_list_update(list, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    sw_device_sessions *sessions = NULL;
    OK(sw_device_sessions_new(&sessions));
    OK(sw_device_sessions_initiate(NULL, sessions, alice, kb, 32, bundle, bundle_len));
    uint8_t msg[4096], plain[4096], request[SW_RECOVERY_REQUEST_LEN];
    size_t msg_len = 0;
    OK(sw_device_sessions_encrypt(rng, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                  (const uint8_t *)"hi", 2, msg, sizeof msg, &msg_len));
    sw_device_sessions *bobs = NULL;
    OK(sw_device_sessions_new(&bobs));
    size_t request_len = 0;
    OK(sw_device_sessions_recovery_request(bobs, bob, ka, 32, T0, msg, msg_len, request,
                                           sizeof request, &request_len));
    sw_received_info info;
    sw_device_identity who;
    sw_recovery_request_info rq;
    sw_recovery_action action;
    uint32_t counter = 0, ids[4];
    bool flag = false;

    /* sw_device_list */
    sw_device_list *l2 = list;
    NUL(sw_device_list_new((const uint8_t *)NULL, 3, &l2));
    CHECK(l2 == NULL); /* out handles are set to NULL on error */
    NUL(sw_device_list_new((const uint8_t *)"bob", 3, NULL));
    NUL(sw_device_list_update(NULL, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    NUL(sw_device_list_update(list, NULL, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    NUL(sw_device_list_update(list, &entry, 1, NULL, SW_MAX_DEVICE_EVENTS, &count));
    NUL(sw_device_list_update(list, &entry, 1, events, SW_MAX_DEVICE_EVENTS, NULL));
    OK(sw_device_list_update(list, &entry, 1, NULL, 0, &count)); /* no change: no event */
    CHECK(count == 0);
    NUL(sw_device_list_confirm_identity(NULL, 1, kb, 32));
    NUL(sw_device_list_confirm_identity(list, 1, NULL, 32));
    NUL(sw_device_list_identity(NULL, 1, &who, &flag));
    NUL(sw_device_list_identity(list, 1, NULL, &flag));
    NUL(sw_device_list_identity(list, 1, &who, NULL));
    NUL(sw_device_list_len(NULL, &count));
    NUL(sw_device_list_len(list, NULL));
    NUL(sw_device_list_device_ids(NULL, ids, 4, &count));
    NUL(sw_device_list_device_ids(list, NULL, 4, &count));
    NUL(sw_device_list_device_ids(list, ids, 4, NULL));
    CHECK_RC(sw_device_list_device_ids(list, NULL, 0, &count), SW_BUFFER_TOO_SMALL);
    CHECK(count == 1);
    NUL(sw_device_list_user(NULL, plain, sizeof plain, &len));
    NUL(sw_device_list_user(list, NULL, 3, &len));
    NUL(sw_device_list_user(list, plain, sizeof plain, NULL));
    sw_device_list_free(NULL);

    /* sw_device_sessions */
    NUL(sw_device_sessions_new(NULL));
    NUL(sw_device_sessions_initiate(rng, NULL, alice, kb, 32, bundle, bundle_len));
    NUL(sw_device_sessions_initiate(rng, sessions, NULL, kb, 32, bundle, bundle_len));
    NUL(sw_device_sessions_initiate(rng, sessions, alice, NULL, 32, bundle, bundle_len));
    NUL(sw_device_sessions_initiate(rng, sessions, alice, kb, 32, NULL, bundle_len));
    NUL(sw_device_sessions_initiate(rng, sessions, alice, kb, 32, NULL, 0));
    NUL(sw_device_sessions_encrypted_len(NULL, 2, false, &len));
    NUL(sw_device_sessions_encrypted_len(sessions, 2, false, NULL));
    NUL(sw_device_sessions_encrypt(rng, NULL, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                   (const uint8_t *)"hi", 2, msg, sizeof msg, &len));
    CHECK(len == 0);
    NUL(sw_device_sessions_encrypt(rng, sessions, T0, NULL, 32, SW_CONTENT_USER_MESSAGE, false,
                                   (const uint8_t *)"hi", 2, msg, sizeof msg, &len));
    NUL(sw_device_sessions_encrypt(rng, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false, NULL, 2,
                                   msg, sizeof msg, &len));
    NUL(sw_device_sessions_encrypt(rng, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                   (const uint8_t *)"hi", 2, NULL, sizeof msg, &len));
    NUL(sw_device_sessions_encrypt(rng, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                   (const uint8_t *)"hi", 2, msg, sizeof msg, NULL));
    /* Size query; NULL rng: the OS generator. */
    CHECK_RC(sw_device_sessions_encrypt(NULL, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false,
                                        NULL, 0, NULL, 0, &len),
             SW_BUFFER_TOO_SMALL);
    OK(sw_device_sessions_encrypt(NULL, sessions, T0, kb, 32, SW_CONTENT_USER_MESSAGE, false, NULL, 0,
                                  msg + 2048, len, &len));
    sw_device_sessions *b2 = NULL;
    OK(sw_device_sessions_new(&b2));
    NUL(sw_device_sessions_decrypt(NULL, bob, store, ka, 32, T0, msg, msg_len, plain,
                                   sizeof plain, &len, &info));
    NUL(sw_device_sessions_decrypt(b2, NULL, store, ka, 32, T0, msg, msg_len, plain, sizeof plain,
                                   &len, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, NULL, ka, 32, T0, msg, msg_len, plain, sizeof plain,
                                   &len, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, store, NULL, 32, T0, msg, msg_len, plain,
                                   sizeof plain, &len, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, NULL, msg_len, plain, sizeof plain,
                                   &len, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, msg, msg_len, NULL, sizeof plain,
                                   &len, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, msg, msg_len, plain, sizeof plain,
                                   NULL, &info));
    NUL(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, msg, msg_len, plain, sizeof plain,
                                   &len, NULL));
    CHECK_RC(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, msg, msg_len, NULL, 0, &len,
                                        &info),
             SW_BUFFER_TOO_SMALL);
    CHECK(len == msg_len);
    OK(sw_device_sessions_decrypt(b2, bob, store, ka, 32, T0, msg, msg_len, plain, sizeof plain,
                                  &len, &info)); /* the NULL calls changed nothing */
    CHECK(len == 2 && memcmp(plain, "hi", 2) == 0);
    NUL(sw_device_sessions_has_current(NULL, &flag));
    NUL(sw_device_sessions_has_current(sessions, NULL));
    NUL(sw_device_sessions_is_established(NULL, &flag));
    NUL(sw_device_sessions_is_established(sessions, NULL));
    NUL(sw_device_sessions_previous_count(NULL, &count));
    NUL(sw_device_sessions_previous_count(sessions, NULL));
    NUL(sw_device_sessions_their_identity(NULL, plain, 32, &len));
    NUL(sw_device_sessions_their_identity(sessions, NULL, 32, &len));
    NUL(sw_device_sessions_their_identity(sessions, plain, 32, NULL));
    sw_device_sessions_free(NULL);

    /* Saved state: sw_device_list and sw_device_sessions, plain and sealed
     * (size queries: NULL with length 0). */
    static const uint8_t KEY[32] = {7};
    static uint8_t blob[8192], buf[8192];
    size_t blob_len = 0;
    CHECK_RC(sw_device_list_save(list, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    OK(sw_device_list_save(list, blob, sizeof blob, &blob_len));
    CHECK(blob_len == len);
    NUL(sw_device_list_save(NULL, buf, sizeof buf, &len));
    NUL(sw_device_list_save(list, NULL, sizeof buf, &len));
    NUL(sw_device_list_save(list, buf, sizeof buf, NULL));
    sw_device_list *tmp_list = list;
    NUL(sw_device_list_load(NULL, blob_len, &tmp_list));
    CHECK(tmp_list == NULL);
    NUL(sw_device_list_load(blob, blob_len, NULL));
    OK(sw_device_list_load(blob, blob_len, &tmp_list));
    sw_device_list_free(tmp_list);
    NUL(sw_device_list_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_device_list_save_sealed(rng, list, NULL, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_device_list_save_sealed(rng, list, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_device_list_save_sealed(rng, list, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf, &len));
    NUL(sw_device_list_save_sealed(rng, list, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, NULL));
    CHECK_RC(sw_device_list_save_sealed(NULL, list, KEY, 32, &TEST_ADDRESS, NULL, 0, &len),
             SW_BUFFER_TOO_SMALL);
    OK(sw_device_list_save_sealed(NULL, list, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    CHECK(len == blob_len - (6 + 16) + (62 + 16)); /* the envelopes around one body */
    size_t sealed_len = len;
    tmp_list = list;
    NUL(sw_device_list_load_sealed(NULL, 32, &TEST_ADDRESS, buf, sealed_len, &tmp_list));
    CHECK(tmp_list == NULL);
    NUL(sw_device_list_load_sealed(KEY, 32, NULL, buf, sealed_len, &tmp_list));
    NUL(sw_device_list_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, sealed_len, &tmp_list));
    NUL(sw_device_list_load_sealed(KEY, 32, &TEST_ADDRESS, buf, sealed_len, NULL));
    OK(sw_device_list_load_sealed(KEY, 32, &TEST_ADDRESS, buf, sealed_len, &tmp_list));
    sw_device_list_free(tmp_list);

    CHECK_RC(sw_device_sessions_save(sessions, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    OK(sw_device_sessions_save(sessions, blob, sizeof blob, &blob_len));
    CHECK(blob_len == len);
    NUL(sw_device_sessions_save(NULL, buf, sizeof buf, &len));
    NUL(sw_device_sessions_save(sessions, NULL, sizeof buf, &len));
    NUL(sw_device_sessions_save(sessions, buf, sizeof buf, NULL));
    sw_device_sessions *tmp_sessions = sessions;
    NUL(sw_device_sessions_load(NULL, blob_len, &tmp_sessions));
    CHECK(tmp_sessions == NULL);
    NUL(sw_device_sessions_load(blob, blob_len, NULL));
    OK(sw_device_sessions_load(blob, blob_len, &tmp_sessions));
    sw_device_sessions_free(tmp_sessions);
    NUL(sw_device_sessions_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_device_sessions_save_sealed(rng, sessions, NULL, 32, &TEST_ADDRESS, buf, sizeof buf,
                                       &len));
    NUL(sw_device_sessions_save_sealed(rng, sessions, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_device_sessions_save_sealed(rng, sessions, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf,
                                       &len));
    NUL(sw_device_sessions_save_sealed(rng, sessions, KEY, 32, &TEST_ADDRESS, buf, sizeof buf,
                                       NULL));
    CHECK_RC(sw_device_sessions_save_sealed(NULL, sessions, KEY, 32, &TEST_ADDRESS, NULL, 0, &len),
             SW_BUFFER_TOO_SMALL);
    OK(sw_device_sessions_save_sealed(NULL, sessions, KEY, 32, &TEST_ADDRESS, buf, sizeof buf,
                                      &len));
    sealed_len = len;
    tmp_sessions = sessions;
    NUL(sw_device_sessions_load_sealed(NULL, 32, &TEST_ADDRESS, buf, sealed_len, &tmp_sessions));
    CHECK(tmp_sessions == NULL);
    NUL(sw_device_sessions_load_sealed(KEY, 32, NULL, buf, sealed_len, &tmp_sessions));
    NUL(sw_device_sessions_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, sealed_len, &tmp_sessions));
    NUL(sw_device_sessions_load_sealed(KEY, 32, &TEST_ADDRESS, buf, sealed_len, NULL));
    OK(sw_device_sessions_load_sealed(KEY, 32, &TEST_ADDRESS, buf, sealed_len, &tmp_sessions));
    sw_device_sessions_free(tmp_sessions);
    tmp_sessions = sessions;
    NUL(sw_device_sessions_load_sealed_legacy(NULL, 32, buf, sealed_len, &tmp_sessions));
    CHECK(tmp_sessions == NULL);
    NUL(sw_device_sessions_load_sealed_legacy(KEY, 32, NULL, sealed_len, &tmp_sessions));
    NUL(sw_device_sessions_load_sealed_legacy(KEY, 32, buf, sealed_len, NULL));
    CHECK_RC(sw_device_sessions_load_sealed_legacy(KEY, 32, buf, sealed_len, &tmp_sessions),
             SW_STATE_ADDRESS_BOUND);
    /* The NULL calls changed nothing: the same plain blob. */
    OK(sw_device_sessions_save(sessions, buf, sizeof buf, &len));
    CHECK(len == blob_len && memcmp(buf, blob, len) == 0);

    /* Recovery requests */
    NUL(sw_recovery_request_parse(NULL, request_len, &rq));
    NUL(sw_recovery_request_parse(request, request_len, NULL));
    NUL(sw_device_sessions_recovery_request(NULL, bob, ka, 32, T0, msg, msg_len, request,
                                            sizeof request, &len));
    NUL(sw_device_sessions_recovery_request(bobs, NULL, ka, 32, T0, msg, msg_len, request,
                                            sizeof request, &len));
    NUL(sw_device_sessions_recovery_request(bobs, bob, NULL, 32, T0, msg, msg_len, request,
                                            sizeof request, &len));
    NUL(sw_device_sessions_recovery_request(bobs, bob, ka, 32, T0, NULL, msg_len, request,
                                            sizeof request, &len));
    NUL(sw_device_sessions_recovery_request(bobs, bob, ka, 32, T0, msg, msg_len, NULL,
                                            sizeof request, &len));
    NUL(sw_device_sessions_recovery_request(bobs, bob, ka, 32, T0, msg, msg_len, request,
                                            sizeof request, NULL));
    NUL(sw_device_sessions_accept_recovery_request(NULL, alice, kb, 32, T0, request, request_len,
                                                   &action, &counter));
    NUL(sw_device_sessions_accept_recovery_request(sessions, NULL, kb, 32, T0, request,
                                                   request_len, &action, &counter));
    NUL(sw_device_sessions_accept_recovery_request(sessions, alice, NULL, 32, T0, request,
                                                   request_len, &action, &counter));
    NUL(sw_device_sessions_accept_recovery_request(sessions, alice, kb, 32, T0, NULL, request_len,
                                                   &action, &counter));
    NUL(sw_device_sessions_accept_recovery_request(sessions, alice, kb, 32, T0, request,
                                                   request_len, NULL, &counter));
    NUL(sw_device_sessions_accept_recovery_request(sessions, alice, kb, 32, T0, request,
                                                   request_len, &action, NULL));
    /* The NULL calls changed nothing: the request is still accepted. */
    OK(sw_device_sessions_accept_recovery_request(sessions, alice, kb, 32, T0, request,
                                                  request_len, &action, &counter));
    CHECK(action == SW_RECOVERY_ACTION_RESTART);

    /* sw_encrypt_for_devices and sw_device_messages */
    OK(sw_device_sessions_initiate(rng, sessions, alice, kb, 32, bundle, bundle_len));
    sw_device_sessions_entry entries[] = {{.device_id = 1, .sessions = sessions}};
    sw_recipient recipients[] = {{.devices = list, .sessions = entries, .sessions_len = 1}};
    const sw_device_address me = {.user = (const uint8_t *)"alice", .user_len = 5, .device_id = 1};
    sw_device_failure failure;
    sw_device_messages *msgs = (sw_device_messages *)&failure;
    const uint8_t *hi = (const uint8_t *)"hi";
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, NULL, 2, &me, recipients, 1,
                               &failure, &msgs));
    CHECK(msgs == NULL);
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, NULL, recipients, 1,
                               &failure, &msgs));
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, NULL, 1, &failure,
                               &msgs));
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, recipients, 1,
                               NULL, &msgs));
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, recipients, 1,
                               &failure, NULL));
    /* NULL inside the structs. */
    const sw_device_address no_user = {.user = NULL, .user_len = 5, .device_id = 1};
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &no_user, recipients,
                               1, &failure, &msgs));
    sw_recipient no_list[] = {{.devices = NULL, .sessions = entries, .sessions_len = 1}};
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, no_list, 1,
                               &failure, &msgs));
    sw_recipient no_entries[] = {{.devices = list, .sessions = NULL, .sessions_len = 1}};
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, no_entries, 1,
                               &failure, &msgs));
    sw_device_sessions_entry null_entry[] = {{.device_id = 1, .sessions = NULL}};
    sw_recipient null_sessions[] = {{.devices = list, .sessions = null_entry, .sessions_len = 1}};
    NUL(sw_encrypt_for_devices(rng, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, null_sessions, 1,
                               &failure, &msgs));
    /* NULL rng: the OS generator. */
    OK(sw_encrypt_for_devices(NULL, T0, SW_CONTENT_USER_MESSAGE, false, hi, 2, &me, recipients, 1,
                              &failure, &msgs));
    NUL(sw_device_messages_count(NULL, &count));
    NUL(sw_device_messages_count(msgs, NULL));
    sw_device_message_info minfo;
    NUL(sw_device_messages_info(NULL, 0, &minfo));
    NUL(sw_device_messages_info(msgs, 0, NULL));
    NUL(sw_device_messages_message(NULL, 0, msg, sizeof msg, &len));
    NUL(sw_device_messages_message(msgs, 0, NULL, sizeof msg, &len));
    NUL(sw_device_messages_message(msgs, 0, msg, sizeof msg, NULL));
    NUL(sw_device_messages_user(NULL, 0, plain, sizeof plain, &len));
    NUL(sw_device_messages_user(msgs, 0, NULL, sizeof plain, &len));
    NUL(sw_device_messages_user(msgs, 0, plain, sizeof plain, NULL));
    CHECK_RC(sw_device_messages_user(msgs, 0, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    sw_device_messages_free(msgs);
    sw_device_messages_free(NULL);

    sw_device_sessions_free(b2);
    sw_device_sessions_free(bobs);
    sw_device_sessions_free(sessions);
    sw_device_list_free(list);
    sw_prekey_store_free(store);
    sw_identity_free(alice);
    sw_identity_free(bob);
    sw_rng_free(rng);
    printf("test_devices_null: %lu checks passed\n", checks_run);
    return 0;
}
