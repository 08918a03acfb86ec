/*
 * NULL for every pointer parameter of every group and channel export
 * (ffi/src/group.rs): each call returns SW_NULL_POINTER and changes nothing,
 * out handles are set to NULL, every `_free(NULL)` is a no-op, and the
 * optional pointers behave as documented (an `sw_rng *` of NULL is the OS
 * generator; an output buffer of NULL with length 0 is a size query).
 *
 * ffi/tests/header.rs scans this file with test_null.c: a group export
 * without its NULL calls here fails that test.
 */
#include "check.h"

#define NUL(call) CHECK_RC(call, SW_NULL_POINTER)

static const uint8_t KEY[32] = {7};

int main(void) {
    /* Fixtures: two identities with an established session, a group, a
     * channel owner and a subscriber, a distribution, a post and saved
     * state. */
    uint8_t seed[SW_SEED_LEN];
    memset(seed, 5, sizeof seed);
    sw_rng *rng = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &rng));
    sw_identity *alice = NULL, *bob = NULL;
    OK(sw_identity_new(rng, &alice));
    OK(sw_identity_from_seed(seed, sizeof seed, &bob));
    size_t len = 0;
    uint8_t ka[32], kb[32];
    OK(sw_identity_public_key(alice, ka, sizeof ka, &len));
    OK(sw_identity_public_key(bob, kb, sizeof kb, &len));
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new(rng, bob, &store));
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    OK(sw_prekey_store_bundle(store, bob, bundle_bytes, sizeof bundle_bytes, &len));
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, len, &bundle));
    sw_session *session = NULL;
    OK(sw_session_initiate(rng, alice, bundle, &session)); /* Alice's, with Bob */

    uint8_t gid[SW_GROUP_ID_LEN];
    OK(sw_group_id_random(NULL, gid, sizeof gid, &len)); /* NULL rng: the OS */
    sw_group *group = NULL;
    sw_distribution *dist = NULL;
    OK(sw_group_create(rng, T0, gid, sizeof gid, ka, 32, kb, 32, &group, &dist));
    sw_channel_owner *owner = NULL;
    sw_distribution *cdist = NULL;
    OK(sw_channel_owner_create(NULL, T0, gid, sizeof gid, ka, 32, kb, 32, &owner, &cdist));
    sw_channel_subscriber *sub = NULL;
    OK(sw_channel_subscriber_new(gid, sizeof gid, kb, 32, ka, 32, &sub));
    uint8_t post[1024], plain[1024], buf[4096], blob[8192];
    size_t post_len = 0, count = 0;
    sw_distribution *rot = NULL;
    OK(sw_group_post(rng, group, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"hi", 2, post,
                     sizeof post, &post_len, &rot));
    CHECK(rot == NULL);
    size_t group_blob_len = 0, sub_blob_len = 0, owner_blob_len = 0;
    uint8_t group_blob[8192], sub_blob[8192], owner_blob[8192];
    OK(sw_group_save(group, group_blob, sizeof group_blob, &group_blob_len));
    OK(sw_channel_subscriber_save(sub, sub_blob, sizeof sub_blob, &sub_blob_len));
    OK(sw_channel_owner_save(owner, owner_blob, sizeof owner_blob, &owner_blob_len));
    sw_group_received_info info;
    sw_post_header header;
    sw_timer timer;
    bool flag = false;
    uint8_t body[SW_DISTRIBUTION_LEN] = {1};

    /* Routing and ids. */
    NUL(sw_group_id_random(rng, NULL, 16, &len));
    NUL(sw_group_id_random(rng, buf, 16, NULL));
    NUL(sw_post_header_parse(NULL, post_len, &header));
    NUL(sw_post_header_parse(post, post_len, NULL));
    CHECK_RC(sw_post_header_parse(NULL, 0, &header), SW_DECODE_TRUNCATED); /* empty input */
    NUL(sw_distribution_group_id(NULL, sizeof body, buf, 16, &len));
    NUL(sw_distribution_group_id(body, sizeof body, NULL, 16, &len));
    NUL(sw_distribution_group_id(body, sizeof body, buf, 16, NULL));
    CHECK_RC(sw_distribution_group_id(body, sizeof body, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_GROUP_ID_LEN);

    /* sw_distribution */
    NUL(sw_distribution_recipient_count(NULL, &count));
    NUL(sw_distribution_recipient_count(dist, NULL));
    NUL(sw_distribution_recipients(NULL, buf, sizeof buf, &len));
    NUL(sw_distribution_recipients(dist, NULL, 32, &len));
    NUL(sw_distribution_recipients(dist, buf, sizeof buf, NULL));
    NUL(sw_distribution_is_recipient(NULL, kb, 32, &flag));
    NUL(sw_distribution_is_recipient(dist, NULL, 32, &flag));
    NUL(sw_distribution_is_recipient(dist, kb, 32, NULL));
    NUL(sw_distribution_encrypted_len(NULL, session, &len));
    NUL(sw_distribution_encrypted_len(dist, NULL, &len));
    NUL(sw_distribution_encrypted_len(dist, session, NULL));
    NUL(sw_distribution_encrypt_for(rng, NULL, session, T0, buf, sizeof buf, &len));
    CHECK(len == 0);
    NUL(sw_distribution_encrypt_for(rng, dist, NULL, T0, buf, sizeof buf, &len));
    NUL(sw_distribution_encrypt_for(rng, dist, session, T0, NULL, sizeof buf, &len));
    NUL(sw_distribution_encrypt_for(rng, dist, session, T0, buf, sizeof buf, NULL));
    /* NULL rng: the OS generator (over a pending session: a prekey message). */
    OK(sw_distribution_encrypt_for(NULL, dist, session, T0, buf, sizeof buf, &len));
    sw_distribution_free(NULL);

    /* sw_group */
    sw_group *g2 = group;
    sw_distribution *d2 = dist;
    NUL(sw_group_create(rng, T0, NULL, 16, ka, 32, kb, 32, &g2, &d2));
    CHECK(g2 == NULL && d2 == NULL); /* out handles are set to NULL on error */
    NUL(sw_group_create(rng, T0, gid, 16, NULL, 32, kb, 32, &g2, &d2));
    NUL(sw_group_create(rng, T0, gid, 16, ka, 32, NULL, 32, &g2, &d2));
    NUL(sw_group_create(rng, T0, gid, 16, ka, 32, kb, 32, NULL, &d2));
    NUL(sw_group_create(rng, T0, gid, 16, ka, 32, kb, 32, &g2, NULL));
    d2 = dist;
    NUL(sw_group_add_member(NULL, kb, 32, &d2));
    CHECK(d2 == NULL);
    NUL(sw_group_add_member(group, NULL, 32, &d2));
    NUL(sw_group_add_member(group, kb, 32, NULL));
    NUL(sw_group_remove_member(rng, NULL, T0, kb, 32, &d2));
    NUL(sw_group_remove_member(rng, group, T0, NULL, 32, &d2));
    NUL(sw_group_remove_member(rng, group, T0, kb, 32, NULL));
    NUL(sw_group_post_len(NULL, 2, &len));
    NUL(sw_group_post_len(group, 2, NULL));
    rot = dist;
    NUL(sw_group_post(rng, NULL, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf, &len,
                      &rot));
    CHECK(rot == NULL && len == 0);
    NUL(sw_group_post(rng, group, T0, SW_CONTENT_USER_MESSAGE, NULL, 2, buf, sizeof buf, &len,
                      &rot));
    NUL(sw_group_post(rng, group, T0, SW_CONTENT_USER_MESSAGE, post, 2, NULL, sizeof buf, &len,
                      &rot));
    NUL(sw_group_post(rng, group, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf, NULL,
                      &rot));
    NUL(sw_group_post(rng, group, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf, &len,
                      NULL));
    NUL(sw_group_set_timer(rng, NULL, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, &len, &rot));
    NUL(sw_group_set_timer(rng, group, T0, SW_EXPIRY_OFF, 0, NULL, sizeof buf, &len, &rot));
    NUL(sw_group_set_timer(rng, group, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, NULL, &rot));
    NUL(sw_group_set_timer(rng, group, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, &len, NULL));
    NUL(sw_group_timer(NULL, &timer));
    NUL(sw_group_timer(group, NULL));
    NUL(sw_group_rotate(rng, NULL, T0, &d2));
    NUL(sw_group_rotate(rng, group, T0, NULL));
    NUL(sw_group_set_rotation_policy(NULL, 5, 5));
    NUL(sw_group_current_holder_count(NULL, &count));
    NUL(sw_group_current_holder_count(group, NULL));
    NUL(sw_group_current_holders(NULL, buf, sizeof buf, &len));
    NUL(sw_group_current_holders(group, NULL, 32, &len));
    NUL(sw_group_current_holders(group, buf, sizeof buf, NULL));
    NUL(sw_group_receive_post(NULL, T0, post, post_len, plain, sizeof plain, &len, &info));
    NUL(sw_group_receive_post(group, T0, NULL, post_len, plain, sizeof plain, &len, &info));
    NUL(sw_group_receive_post(group, T0, post, post_len, NULL, sizeof plain, &len, &info));
    NUL(sw_group_receive_post(group, T0, post, post_len, plain, sizeof plain, NULL, &info));
    NUL(sw_group_receive_post(group, T0, post, post_len, plain, sizeof plain, &len, NULL));
    CHECK_RC(sw_group_receive_post(group, T0, post, post_len, NULL, 0, &len, &info),
             SW_BUFFER_TOO_SMALL); /* a size query */
    CHECK(len == post_len);
    flag = true;
    NUL(sw_group_accept_distribution(NULL, session, T0, &flag));
    CHECK(!flag); /* cleared before the handles are checked */
    NUL(sw_group_accept_distribution(group, NULL, T0, &flag));
    NUL(sw_group_accept_distribution(group, session, T0, NULL));
    /* A session that decrypted no distribution has none pending. */
    CHECK_RC(sw_group_accept_distribution(group, session, T0, &flag), SW_GROUP_NO_DISTRIBUTION);
    uint64_t ms = 1;
    flag = true;
    NUL(sw_group_erase_expired_keys(NULL, T0));
    NUL(sw_group_next_key_erasure(NULL, &flag, &ms));
    CHECK(!flag && ms == 0); /* outputs cleared before the handle is checked */
    NUL(sw_group_next_key_erasure(group, NULL, &ms));
    NUL(sw_group_next_key_erasure(group, &flag, NULL));
    NUL(sw_group_set_max_skipped_key_age(NULL, T0, 1000));
    count = 1;
    NUL(sw_group_skipped_key_count(NULL, &count));
    CHECK(count == 0);
    NUL(sw_group_skipped_key_count(group, NULL));
    NUL(sw_group_save(NULL, blob, sizeof blob, &len));
    NUL(sw_group_save(group, NULL, sizeof blob, &len));
    NUL(sw_group_save(group, blob, sizeof blob, NULL));
    NUL(sw_group_load(NULL, group_blob_len, &g2));
    NUL(sw_group_load(group_blob, group_blob_len, NULL));
    NUL(sw_group_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_group_save_sealed(rng, group, NULL, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_group_save_sealed(rng, group, KEY, 32, NULL, blob, sizeof blob, &len));
    NUL(sw_group_save_sealed(rng, group, KEY, 32, &TEST_ADDRESS, NULL, sizeof blob, &len));
    NUL(sw_group_save_sealed(rng, group, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, NULL));
    NUL(sw_group_load_sealed(NULL, 32, &TEST_ADDRESS, blob, 100, &g2));
    NUL(sw_group_load_sealed(KEY, 32, NULL, blob, 100, &g2));
    NUL(sw_group_load_sealed_legacy(NULL, 32, blob, 100, &g2));
    NUL(sw_group_load_sealed_legacy(KEY, 32, NULL, 100, &g2));
    NUL(sw_group_load_sealed_legacy(KEY, 32, blob, 100, NULL));
    NUL(sw_group_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, 100, &g2));
    NUL(sw_group_load_sealed(KEY, 32, &TEST_ADDRESS, blob, 100, NULL));
    sw_group_free(NULL);
    /* Nothing changed. */
    OK(sw_group_save(group, blob, sizeof blob, &len));
    CHECK(len == group_blob_len && memcmp(blob, group_blob, len) == 0);

    /* sw_channel_owner */
    sw_channel_owner *o2 = owner;
    NUL(sw_channel_owner_create(rng, T0, NULL, 16, ka, 32, kb, 32, &o2, &d2));
    CHECK(o2 == NULL);
    NUL(sw_channel_owner_create(rng, T0, gid, 16, NULL, 32, kb, 32, &o2, &d2));
    NUL(sw_channel_owner_create(rng, T0, gid, 16, ka, 32, NULL, 32, &o2, &d2));
    NUL(sw_channel_owner_create(rng, T0, gid, 16, ka, 32, kb, 32, NULL, &d2));
    NUL(sw_channel_owner_create(rng, T0, gid, 16, ka, 32, kb, 32, &o2, NULL));
    NUL(sw_channel_owner_add_subscriber(NULL, kb, 32, &d2));
    NUL(sw_channel_owner_add_subscriber(owner, NULL, 32, &d2));
    NUL(sw_channel_owner_add_subscriber(owner, kb, 32, NULL));
    NUL(sw_channel_owner_remove_subscriber(rng, NULL, T0, kb, 32, &d2));
    NUL(sw_channel_owner_remove_subscriber(rng, owner, T0, NULL, 32, &d2));
    NUL(sw_channel_owner_remove_subscriber(rng, owner, T0, kb, 32, NULL));
    NUL(sw_channel_owner_post_len(NULL, 2, &len));
    NUL(sw_channel_owner_post_len(owner, 2, NULL));
    NUL(sw_channel_owner_post(rng, NULL, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf,
                              &len, &rot));
    NUL(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, NULL, 2, buf, sizeof buf,
                              &len, &rot));
    NUL(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, post, 2, NULL, sizeof buf,
                              &len, &rot));
    NUL(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf,
                              NULL, &rot));
    NUL(sw_channel_owner_post(rng, owner, T0, SW_CONTENT_USER_MESSAGE, post, 2, buf, sizeof buf,
                              &len, NULL));
    NUL(sw_channel_owner_set_timer(rng, NULL, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, &len, &rot));
    NUL(sw_channel_owner_set_timer(rng, owner, T0, SW_EXPIRY_OFF, 0, NULL, sizeof buf, &len,
                                   &rot));
    NUL(sw_channel_owner_set_timer(rng, owner, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, NULL,
                                   &rot));
    NUL(sw_channel_owner_set_timer(rng, owner, T0, SW_EXPIRY_OFF, 0, buf, sizeof buf, &len,
                                   NULL));
    NUL(sw_channel_owner_timer(NULL, &timer));
    NUL(sw_channel_owner_timer(owner, NULL));
    NUL(sw_channel_owner_rotate(rng, NULL, T0, &d2));
    NUL(sw_channel_owner_rotate(rng, owner, T0, NULL));
    NUL(sw_channel_owner_set_rotation_policy(NULL, 5, 5));
    NUL(sw_channel_owner_current_holder_count(NULL, &count));
    NUL(sw_channel_owner_current_holder_count(owner, NULL));
    NUL(sw_channel_owner_current_holders(NULL, buf, sizeof buf, &len));
    NUL(sw_channel_owner_current_holders(owner, NULL, 32, &len));
    NUL(sw_channel_owner_current_holders(owner, buf, sizeof buf, NULL));
    NUL(sw_channel_owner_save(NULL, blob, sizeof blob, &len));
    NUL(sw_channel_owner_save(owner, NULL, sizeof blob, &len));
    NUL(sw_channel_owner_save(owner, blob, sizeof blob, NULL));
    NUL(sw_channel_owner_load(NULL, owner_blob_len, &o2));
    NUL(sw_channel_owner_load(owner_blob, owner_blob_len, NULL));
    NUL(sw_channel_owner_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_channel_owner_save_sealed(rng, owner, NULL, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_channel_owner_save_sealed(rng, owner, KEY, 32, NULL, blob, sizeof blob, &len));
    NUL(sw_channel_owner_save_sealed(rng, owner, KEY, 32, &TEST_ADDRESS, NULL, sizeof blob, &len));
    NUL(sw_channel_owner_save_sealed(rng, owner, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, NULL));
    NUL(sw_channel_owner_load_sealed(NULL, 32, &TEST_ADDRESS, blob, 100, &o2));
    NUL(sw_channel_owner_load_sealed(KEY, 32, NULL, blob, 100, &o2));
    NUL(sw_channel_owner_load_sealed_legacy(NULL, 32, blob, 100, &o2));
    NUL(sw_channel_owner_load_sealed_legacy(KEY, 32, NULL, 100, &o2));
    NUL(sw_channel_owner_load_sealed_legacy(KEY, 32, blob, 100, NULL));
    NUL(sw_channel_owner_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, 100, &o2));
    NUL(sw_channel_owner_load_sealed(KEY, 32, &TEST_ADDRESS, blob, 100, NULL));
    sw_channel_owner_free(NULL);
    OK(sw_channel_owner_save(owner, blob, sizeof blob, &len));
    CHECK(len == owner_blob_len && memcmp(blob, owner_blob, len) == 0);

    /* sw_channel_subscriber */
    sw_channel_subscriber *s2 = sub;
    NUL(sw_channel_subscriber_new(NULL, 16, kb, 32, ka, 32, &s2));
    CHECK(s2 == NULL);
    NUL(sw_channel_subscriber_new(gid, 16, NULL, 32, ka, 32, &s2));
    NUL(sw_channel_subscriber_new(gid, 16, kb, 32, NULL, 32, &s2));
    NUL(sw_channel_subscriber_new(gid, 16, kb, 32, ka, 32, NULL));
    NUL(sw_channel_subscriber_receive_post(NULL, T0, post, post_len, plain, sizeof plain, &len,
                                           &info));
    NUL(sw_channel_subscriber_receive_post(sub, T0, NULL, post_len, plain, sizeof plain, &len,
                                           &info));
    NUL(sw_channel_subscriber_receive_post(sub, T0, post, post_len, NULL, sizeof plain, &len,
                                           &info));
    NUL(sw_channel_subscriber_receive_post(sub, T0, post, post_len, plain, sizeof plain, NULL,
                                           &info));
    NUL(sw_channel_subscriber_receive_post(sub, T0, post, post_len, plain, sizeof plain, &len,
                                           NULL));
    NUL(sw_channel_subscriber_accept_distribution(NULL, session, T0, &flag));
    NUL(sw_channel_subscriber_accept_distribution(sub, NULL, T0, &flag));
    NUL(sw_channel_subscriber_accept_distribution(sub, session, T0, NULL));
    CHECK_RC(sw_channel_subscriber_accept_distribution(sub, session, T0, &flag),
             SW_GROUP_NO_DISTRIBUTION);
    ms = 1;
    flag = true;
    NUL(sw_channel_subscriber_erase_expired_keys(NULL, T0));
    NUL(sw_channel_subscriber_next_key_erasure(NULL, &flag, &ms));
    CHECK(!flag && ms == 0);
    NUL(sw_channel_subscriber_next_key_erasure(sub, NULL, &ms));
    NUL(sw_channel_subscriber_next_key_erasure(sub, &flag, NULL));
    NUL(sw_channel_subscriber_set_max_skipped_key_age(NULL, T0, 1000));
    count = 1;
    NUL(sw_channel_subscriber_skipped_key_count(NULL, &count));
    CHECK(count == 0);
    NUL(sw_channel_subscriber_skipped_key_count(sub, NULL));
    NUL(sw_channel_subscriber_timer(NULL, &timer));
    NUL(sw_channel_subscriber_timer(sub, NULL));
    NUL(sw_channel_subscriber_save(NULL, blob, sizeof blob, &len));
    NUL(sw_channel_subscriber_save(sub, NULL, sizeof blob, &len));
    NUL(sw_channel_subscriber_save(sub, blob, sizeof blob, NULL));
    NUL(sw_channel_subscriber_load(NULL, sub_blob_len, &s2));
    NUL(sw_channel_subscriber_load(sub_blob, sub_blob_len, NULL));
    NUL(sw_channel_subscriber_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_channel_subscriber_save_sealed(rng, sub, NULL, 32, &TEST_ADDRESS, blob, sizeof blob, &len));
    NUL(sw_channel_subscriber_save_sealed(rng, sub, KEY, 32, NULL, blob, sizeof blob, &len));
    NUL(sw_channel_subscriber_save_sealed(rng, sub, KEY, 32, &TEST_ADDRESS, NULL, sizeof blob, &len));
    NUL(sw_channel_subscriber_save_sealed(rng, sub, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, NULL));
    NUL(sw_channel_subscriber_load_sealed(NULL, 32, &TEST_ADDRESS, blob, 100, &s2));
    NUL(sw_channel_subscriber_load_sealed(KEY, 32, NULL, blob, 100, &s2));
    NUL(sw_channel_subscriber_load_sealed_legacy(NULL, 32, blob, 100, &s2));
    NUL(sw_channel_subscriber_load_sealed_legacy(KEY, 32, NULL, 100, &s2));
    NUL(sw_channel_subscriber_load_sealed_legacy(KEY, 32, blob, 100, NULL));
    NUL(sw_channel_subscriber_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, 100, &s2));
    NUL(sw_channel_subscriber_load_sealed(KEY, 32, &TEST_ADDRESS, blob, 100, NULL));
    sw_channel_subscriber_free(NULL);
    OK(sw_channel_subscriber_save(sub, blob, sizeof blob, &len));
    CHECK(len == sub_blob_len && memcmp(blob, sub_blob, len) == 0);

    /* Handles of the wrong type. */
    CHECK_RC(sw_group_timer((const sw_group *)owner, &timer), SW_INVALID_HANDLE);
    CHECK_RC(sw_channel_owner_timer((const sw_channel_owner *)sub, &timer), SW_INVALID_HANDLE);
    CHECK_RC(sw_channel_subscriber_timer((const sw_channel_subscriber *)group, &timer),
             SW_INVALID_HANDLE);
    CHECK_RC(sw_distribution_recipient_count((const sw_distribution *)session, &count),
             SW_INVALID_HANDLE);

    sw_distribution_free(dist);
    sw_distribution_free(cdist);
    sw_channel_subscriber_free(sub);
    sw_channel_owner_free(owner);
    sw_group_free(group);
    sw_session_free(session);
    sw_bundle_free(bundle);
    sw_prekey_store_free(store);
    sw_identity_free(alice);
    sw_identity_free(bob);
    sw_rng_free(rng);
    printf("test_group_null: %lu checks passed\n", checks_run);
    return 0;
}
