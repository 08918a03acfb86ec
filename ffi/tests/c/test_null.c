/*
 * NULL for every pointer parameter of every exported function: each call
 * returns SW_NULL_POINTER (and changes nothing), every `_free(NULL)` is a
 * no-op, and the optional pointers behave as documented (an `sw_rng *` of
 * NULL is the OS generator; an output buffer of NULL with length 0 is a
 * size query; an input of NULL with length 0 is empty).
 *
 * ffi/tests/header.rs fails if a function of sealwire.h is not called in
 * this file, so a new export cannot go without its NULL test.
 */
#include "check.h"

#define NUL(call) CHECK_RC(call, SW_NULL_POINTER)

static const uint8_t KEY[32] = {7};

int main(void) {
    /* Fixtures: a seeded generator, two identities, Bob's prekeys and
     * bundle, a pending session (Alice) and an established one (Bob), a
     * queue, a safety number, state blobs. */
    uint8_t seed[SW_SEED_LEN];
    memset(seed, 3, sizeof seed);
    sw_rng *rng = NULL;
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &rng));
    sw_identity *alice = NULL, *bob = NULL;
    OK(sw_identity_new(rng, &alice));
    OK(sw_identity_from_seed(seed, sizeof seed, &bob));
    sw_prekey_store *store = NULL;
    OK(sw_prekey_store_new(rng, bob, &store));
    uint32_t opk_ids[2];
    size_t count = 0;
    OK(sw_prekey_store_generate_one_time_prekeys(rng, store, 2, opk_ids, 2, &count));
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = 0;
    OK(sw_prekey_store_bundle_with_one_time_prekey(store, bob, opk_ids[0], bundle_bytes,
                                                   sizeof bundle_bytes, &bundle_len));
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    sw_session *pending = NULL, *established = NULL;
    OK(sw_session_initiate(rng, alice, bundle, &pending));
    uint8_t msg[1024], plain[1024];
    size_t msg_len = 0, plain_len = 0, len = 0;
    sw_received_info info;
    OK(sw_session_encrypt(rng, pending, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"hi", 2, msg,
                          sizeof msg, &msg_len));
    OK(sw_session_accept(bob, store, T0, msg, msg_len, plain, sizeof plain, &plain_len, &info,
                         &established));
    OK(sw_session_encrypt(rng, pending, T0, SW_CONTENT_USER_MESSAGE, (const uint8_t *)"again", 5,
                          msg, sizeof msg, &msg_len)); /* for the decrypt calls below */
    sw_expiry_queue *queue = NULL;
    OK(sw_expiry_queue_new(&queue));
    uint8_t id[SW_MESSAGE_ID_LEN] = {1};
    OK(sw_expiry_queue_insert_at(queue, id, sizeof id, T0));
    uint8_t ka[32], kb[32];
    OK(sw_identity_public_key(alice, ka, sizeof ka, &len));
    OK(sw_identity_public_key(bob, kb, sizeof kb, &len));
    sw_safety_number *number = NULL;
    OK(sw_safety_number_new(ka, 32, NULL, 0, kb, 32, NULL, 0, &number));
    uint8_t buf[4096];
    char text[128];
    uint8_t blob[4096];
    size_t blob_len = 0;
    bool flag = false;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    sw_timer timer;
    sw_message_expiry kind;

    /* sw_result_message, sw_version, sw_last_error_detail: no pointer
     * parameters; static strings. A NULL call names the parameter. */
    CHECK(strcmp(sw_result_message(SW_OK), "success") == 0);
    NUL(sw_identity_public_key(alice, buf, sizeof buf, NULL));
    CHECK(strcmp(sw_last_error_detail(), "out_len is NULL") == 0);
    CHECK(strlen(sw_version()) >= 5);

    /* sw_rng */
    NUL(sw_rng_new_os(NULL));
    sw_rng *tmp_rng = rng;
    NUL(sw_rng_danger_new_seeded(NULL, 32, &tmp_rng));
    CHECK(tmp_rng == NULL); /* out handles are set to NULL on error */
    sw_rng *os = NULL;
    NUL(sw_rng_danger_new_seeded(seed, 32, NULL));
    OK(sw_rng_new_os(&os));
    sw_rng_free(os);
    sw_rng_free(NULL);

    /* sw_identity */
    sw_identity *tmp_id = NULL;
    NUL(sw_identity_new(rng, NULL));
    OK(sw_identity_new(NULL, &tmp_id)); /* NULL rng: the OS generator */
    sw_identity_free(tmp_id);
    NUL(sw_identity_from_seed(NULL, 32, &tmp_id));
    NUL(sw_identity_from_seed(seed, 32, NULL));
    NUL(sw_identity_public_key(NULL, buf, sizeof buf, &len));
    NUL(sw_identity_public_key(alice, NULL, 32, &len));
    NUL(sw_identity_public_key(alice, buf, sizeof buf, NULL));
    CHECK_RC(sw_identity_public_key(alice, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == 32);
    NUL(sw_identity_danger_export_seed(NULL, buf, sizeof buf, &len));
    NUL(sw_identity_danger_export_seed(alice, NULL, 32, &len));
    NUL(sw_identity_danger_export_seed(alice, buf, sizeof buf, NULL));
    sw_identity_free(NULL);

    /* sw_prekey_store */
    sw_prekey_store *tmp_store = NULL;
    NUL(sw_prekey_store_new(rng, NULL, &tmp_store));
    NUL(sw_prekey_store_new(rng, bob, NULL));
    OK(sw_prekey_store_new(NULL, bob, &tmp_store));
    sw_prekey_store_free(tmp_store);
    uint32_t ids[4];
    NUL(sw_prekey_store_generate_one_time_prekeys(rng, NULL, 1, ids, 4, &count));
    NUL(sw_prekey_store_generate_one_time_prekeys(rng, store, 1, NULL, 4, &count));
    NUL(sw_prekey_store_generate_one_time_prekeys(rng, store, 1, ids, 4, NULL));
    CHECK_RC(sw_prekey_store_generate_one_time_prekeys(rng, store, 1, NULL, 0, &count),
             SW_BUFFER_TOO_SMALL);
    CHECK(count == 1);
    NUL(sw_prekey_store_one_time_prekey_count(NULL, &count));
    NUL(sw_prekey_store_one_time_prekey_count(store, NULL));
    OK(sw_prekey_store_one_time_prekey_count(store, &count));
    CHECK(count == 1); /* the failed calls generated nothing */
    NUL(sw_prekey_store_one_time_prekey_ids(NULL, ids, 4, &count));
    NUL(sw_prekey_store_one_time_prekey_ids(store, NULL, 4, &count));
    NUL(sw_prekey_store_one_time_prekey_ids(store, ids, 4, NULL));
    NUL(sw_prekey_store_rotate_signed_prekey(rng, NULL, bob, &u32));
    NUL(sw_prekey_store_rotate_signed_prekey(rng, store, NULL, &u32));
    NUL(sw_prekey_store_rotate_signed_prekey(rng, store, bob, NULL));
    NUL(sw_prekey_store_bundle(NULL, bob, buf, sizeof buf, &len));
    NUL(sw_prekey_store_bundle(store, NULL, buf, sizeof buf, &len));
    NUL(sw_prekey_store_bundle(store, bob, NULL, sizeof buf, &len));
    NUL(sw_prekey_store_bundle(store, bob, buf, sizeof buf, NULL));
    NUL(sw_prekey_store_bundle_with_one_time_prekey(NULL, bob, opk_ids[1], buf, sizeof buf, &len));
    NUL(sw_prekey_store_bundle_with_one_time_prekey(store, NULL, opk_ids[1], buf, sizeof buf,
                                                    &len));
    NUL(sw_prekey_store_bundle_with_one_time_prekey(store, bob, opk_ids[1], NULL, sizeof buf,
                                                    &len));
    NUL(sw_prekey_store_bundle_with_one_time_prekey(store, bob, opk_ids[1], buf, sizeof buf,
                                                    NULL));
    sw_prekey_store_free(NULL);

    /* sw_prekey_store, post-quantum */
    NUL(sw_prekey_store_new_pq(rng, NULL, &tmp_store));
    CHECK(tmp_store == NULL);
    NUL(sw_prekey_store_new_pq(rng, bob, NULL));
    NUL(sw_prekey_store_rotate_last_resort_pq_prekey(rng, NULL, bob, &u32));
    NUL(sw_prekey_store_rotate_last_resort_pq_prekey(rng, store, NULL, &u32));
    NUL(sw_prekey_store_rotate_last_resort_pq_prekey(rng, store, bob, NULL));
    NUL(sw_prekey_store_last_resort_pq_prekey_id(NULL, &flag, &u32));
    NUL(sw_prekey_store_last_resort_pq_prekey_id(store, NULL, &u32));
    NUL(sw_prekey_store_last_resort_pq_prekey_id(store, &flag, NULL));
    flag = true;
    u32 = 7;
    OK(sw_prekey_store_last_resort_pq_prekey_id(store, &flag, &u32));
    CHECK(!flag && u32 == 0); /* the failed rotations made no PQ prekey */
    NUL(sw_prekey_store_generate_pq_one_time_prekeys(rng, NULL, bob, 1, &count));
    NUL(sw_prekey_store_generate_pq_one_time_prekeys(rng, store, NULL, 1, &count));
    NUL(sw_prekey_store_generate_pq_one_time_prekeys(rng, store, bob, 1, NULL));
    NUL(sw_prekey_store_pq_one_time_prekey_count(NULL, &count));
    NUL(sw_prekey_store_pq_one_time_prekey_count(store, NULL));
    OK(sw_prekey_store_pq_one_time_prekey_count(store, &count));
    CHECK(count == 0); /* the failed calls generated nothing */
    NUL(sw_prekey_store_pq_one_time_prekey_ids(NULL, ids, 4, &count));
    NUL(sw_prekey_store_pq_one_time_prekey_ids(store, NULL, 4, &count));
    NUL(sw_prekey_store_pq_one_time_prekey_ids(store, ids, 4, NULL));
    OK(sw_prekey_store_pq_one_time_prekey_ids(store, NULL, 0, &count)); /* none: fits */
    CHECK(count == 0);
    NUL(sw_prekey_store_set_require_pq(NULL, true));
    NUL(sw_prekey_store_requires_pq(NULL, &flag));
    NUL(sw_prekey_store_requires_pq(store, NULL));
    OK(sw_prekey_store_requires_pq(store, &flag));
    CHECK(!flag);
    NUL(sw_prekey_store_bundle_with_pq(NULL, bob, true, opk_ids[1], false, 0, buf, sizeof buf, &len));
    NUL(sw_prekey_store_bundle_with_pq(store, NULL, true, opk_ids[1], false, 0, buf, sizeof buf, &len));
    NUL(sw_prekey_store_bundle_with_pq(store, bob, true, opk_ids[1], false, 0, NULL, sizeof buf, &len));
    NUL(sw_prekey_store_bundle_with_pq(store, bob, true, opk_ids[1], false, 0, buf, sizeof buf, NULL));
    CHECK_RC(sw_prekey_store_bundle_with_pq(store, bob, false, 0, true, 1, buf, sizeof buf, &len),
             SW_PREKEY_NOT_FOUND);

    /* sw_bundle */
    sw_bundle *tmp_bundle = NULL;
    NUL(sw_bundle_parse(NULL, bundle_len, &tmp_bundle));
    NUL(sw_bundle_parse(bundle_bytes, bundle_len, NULL));
    CHECK_RC(sw_bundle_parse(NULL, 0, &tmp_bundle), SW_DECODE_TRUNCATED); /* empty input */
    NUL(sw_bundle_encode(NULL, buf, sizeof buf, &len));
    NUL(sw_bundle_encode(bundle, NULL, sizeof buf, &len));
    NUL(sw_bundle_encode(bundle, buf, sizeof buf, NULL));
    NUL(sw_bundle_identity_key(NULL, buf, sizeof buf, &len));
    NUL(sw_bundle_identity_key(bundle, NULL, sizeof buf, &len));
    NUL(sw_bundle_identity_key(bundle, buf, sizeof buf, NULL));
    NUL(sw_bundle_signed_prekey_id(NULL, &u32));
    NUL(sw_bundle_signed_prekey_id(bundle, NULL));
    NUL(sw_bundle_one_time_prekey_id(NULL, &flag, &u32));
    NUL(sw_bundle_one_time_prekey_id(bundle, NULL, &u32));
    NUL(sw_bundle_one_time_prekey_id(bundle, &flag, NULL));
    sw_pq_prekey_kind pq_kind = SW_PQ_PREKEY_LAST_RESORT;
    NUL(sw_bundle_pq_prekey_id(NULL, &flag, &u32, &pq_kind));
    NUL(sw_bundle_pq_prekey_id(bundle, NULL, &u32, &pq_kind));
    NUL(sw_bundle_pq_prekey_id(bundle, &flag, NULL, &pq_kind));
    NUL(sw_bundle_pq_prekey_id(bundle, &flag, &u32, NULL));
    OK(sw_bundle_pq_prekey_id(bundle, &flag, &u32, &pq_kind));
    CHECK(!flag && u32 == 0 && pq_kind == SW_PQ_PREKEY_NONE); /* a classic bundle */
    sw_bundle_free(NULL);

    /* sw_session */
    sw_session *tmp_session = NULL;
    NUL(sw_session_initiate(rng, NULL, bundle, &tmp_session));
    NUL(sw_session_initiate(rng, alice, NULL, &tmp_session));
    NUL(sw_session_initiate(rng, alice, bundle, NULL));
    OK(sw_session_initiate(NULL, alice, bundle, &tmp_session));
    sw_session_free(tmp_session);
    uint8_t hello[1024];
    size_t hello_len = 0;
    OK(sw_session_initiate(rng, alice, bundle, &tmp_session));
    OK(sw_session_encrypt(NULL, tmp_session, T0, SW_CONTENT_USER_MESSAGE, NULL, 0, hello,
                          sizeof hello, &hello_len)); /* NULL body of length 0: empty */
    sw_session_free(tmp_session);
    tmp_session = NULL;
    NUL(sw_session_accept(NULL, store, T0, hello, hello_len, plain, sizeof plain, &plain_len, &info,
                          &tmp_session));
    NUL(sw_session_accept(bob, NULL, T0, hello, hello_len, plain, sizeof plain, &plain_len, &info,
                          &tmp_session));
    NUL(sw_session_accept(bob, store, T0, NULL, hello_len, plain, sizeof plain, &plain_len, &info,
                          &tmp_session));
    NUL(sw_session_accept(bob, store, T0, hello, hello_len, NULL, sizeof plain, &plain_len, &info,
                          &tmp_session));
    NUL(sw_session_accept(bob, store, T0, hello, hello_len, plain, sizeof plain, NULL, &info,
                          &tmp_session));
    NUL(sw_session_accept(bob, store, T0, hello, hello_len, plain, sizeof plain, &plain_len, NULL,
                          &tmp_session));
    NUL(sw_session_accept(bob, store, T0, hello, hello_len, plain, sizeof plain, &plain_len, &info,
                          NULL));
    CHECK(tmp_session == NULL);
    OK(sw_prekey_store_one_time_prekey_count(store, &count));
    CHECK(count == 1); /* no failed accept used up a prekey */
    NUL(sw_session_is_established(NULL, &flag));
    NUL(sw_session_is_established(established, NULL));
    bool known = true;
    NUL(sw_session_is_post_quantum(NULL, &known, &flag));
    NUL(sw_session_is_post_quantum(pending, NULL, &flag));
    NUL(sw_session_is_post_quantum(pending, &known, NULL));
    flag = true;
    OK(sw_session_is_post_quantum(pending, &known, &flag));
    CHECK(known && !flag); /* X3DH: the bundle had no PQ prekey */
    OK(sw_session_is_post_quantum(established, &known, &flag));
    CHECK(known && !flag); /* established sessions record it too */
    sw_key_agreement agreement = SW_KEY_AGREEMENT_PQXDH;
    NUL(sw_session_key_agreement(NULL, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_UNRECORDED); /* cleared on error */
    NUL(sw_session_key_agreement(established, NULL));
    OK(sw_session_key_agreement(pending, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_X3DH);
    OK(sw_session_key_agreement(established, &agreement));
    CHECK(agreement == SW_KEY_AGREEMENT_X3DH);
    NUL(sw_session_their_identity(NULL, buf, sizeof buf, &len));
    NUL(sw_session_their_identity(established, NULL, sizeof buf, &len));
    NUL(sw_session_their_identity(established, buf, sizeof buf, NULL));
    NUL(sw_session_encrypted_len(NULL, 10, &len));
    NUL(sw_session_encrypted_len(established, 10, NULL));
    NUL(sw_session_encrypt(rng, NULL, T0, SW_CONTENT_USER_MESSAGE, plain, 10, buf, sizeof buf,
                           &len));
    NUL(sw_session_encrypt(rng, established, T0, SW_CONTENT_USER_MESSAGE, NULL, 10, buf,
                           sizeof buf, &len));
    NUL(sw_session_encrypt(rng, established, T0, SW_CONTENT_USER_MESSAGE, plain, 10, NULL,
                           sizeof buf, &len));
    NUL(sw_session_encrypt(rng, established, T0, SW_CONTENT_USER_MESSAGE, plain, 10, buf,
                           sizeof buf, NULL));
    NUL(sw_session_decrypt(NULL, T0, msg, msg_len, plain, sizeof plain, &plain_len, &info));
    NUL(sw_session_decrypt(established, T0, NULL, msg_len, plain, sizeof plain, &plain_len, &info));
    NUL(sw_session_decrypt(established, T0, msg, msg_len, NULL, sizeof plain, &plain_len, &info));
    NUL(sw_session_decrypt(established, T0, msg, msg_len, plain, sizeof plain, NULL, &info));
    NUL(sw_session_decrypt(established, T0, msg, msg_len, plain, sizeof plain, &plain_len, NULL));
    OK(sw_session_decrypt(established, T0, msg, msg_len, plain, sizeof plain, &plain_len, &info));
    CHECK(plain_len == 5 && memcmp(plain, "again", 5) == 0); /* nothing was used up */
    NUL(sw_session_timer(NULL, &timer));
    NUL(sw_session_timer(established, NULL));
    NUL(sw_session_set_timer(rng, NULL, T0, SW_EXPIRY_AFTER_SEND, 60, buf, sizeof buf, &len));
    NUL(sw_session_set_timer(rng, established, T0, SW_EXPIRY_AFTER_SEND, 60, NULL, sizeof buf,
                             &len));
    NUL(sw_session_set_timer(rng, established, T0, SW_EXPIRY_AFTER_SEND, 60, buf, sizeof buf,
                             NULL));
    OK(sw_session_timer(established, &timer));
    CHECK(timer.version == 0);
    NUL(sw_session_next_key_erasure(NULL, &flag, &u64));
    NUL(sw_session_next_key_erasure(established, NULL, &u64));
    NUL(sw_session_next_key_erasure(established, &flag, NULL));
    NUL(sw_session_erase_expired_keys(NULL, T0));
    NUL(sw_session_skipped_key_count(NULL, &len));
    NUL(sw_session_skipped_key_count(established, NULL));
    NUL(sw_session_set_max_skipped_key_age(NULL, T0, 1000));
    CHECK_RC(sw_session_set_max_skipped_key_age(pending, T0, 1000), SW_SESSION_NOT_ESTABLISHED);
    sw_session_free(NULL);

    /* sw_expiry_queue */
    sw_expiry_queue *tmp_queue = NULL;
    NUL(sw_expiry_queue_new(NULL));
    NUL(sw_expiry_queue_len(NULL, &len));
    NUL(sw_expiry_queue_len(queue, NULL));
    NUL(sw_expiry_queue_insert_at(NULL, id, sizeof id, T0));
    NUL(sw_expiry_queue_insert_at(queue, NULL, sizeof id, T0));
    NUL(sw_expiry_queue_insert_after_read(NULL, id, sizeof id, 1000));
    NUL(sw_expiry_queue_insert_after_read(queue, NULL, sizeof id, 1000));
    NUL(sw_expiry_queue_mark_read(NULL, id, sizeof id, T0, &u64));
    NUL(sw_expiry_queue_mark_read(queue, NULL, sizeof id, T0, &u64));
    NUL(sw_expiry_queue_mark_read(queue, id, sizeof id, T0, NULL));
    NUL(sw_expiry_queue_remove(NULL, id, sizeof id));
    NUL(sw_expiry_queue_remove(queue, NULL, sizeof id));
    NUL(sw_expiry_queue_get(NULL, id, sizeof id, &kind, &u64));
    NUL(sw_expiry_queue_get(queue, NULL, sizeof id, &kind, &u64));
    NUL(sw_expiry_queue_get(queue, id, sizeof id, NULL, &u64));
    NUL(sw_expiry_queue_get(queue, id, sizeof id, &kind, NULL));
    NUL(sw_expiry_queue_next_deadline(NULL, &flag, &u64));
    NUL(sw_expiry_queue_next_deadline(queue, NULL, &u64));
    NUL(sw_expiry_queue_next_deadline(queue, &flag, NULL));
    NUL(sw_expiry_queue_pop_expired(NULL, T0, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_pop_expired(queue, T0, NULL, sizeof buf, &len));
    NUL(sw_expiry_queue_pop_expired(queue, T0, buf, sizeof buf, NULL));
    OK(sw_expiry_queue_len(queue, &len));
    CHECK(len == 1); /* nothing was popped */
    NUL(sw_expiry_queue_encode(NULL, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_encode(queue, NULL, sizeof buf, &len));
    NUL(sw_expiry_queue_encode(queue, buf, sizeof buf, NULL));
    OK(sw_expiry_queue_encode(queue, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_decode(NULL, len, &tmp_queue));
    NUL(sw_expiry_queue_decode(buf, len, NULL));
    sw_expiry_queue_free(NULL);

    /* sw_safety_number */
    sw_safety_number *tmp_number = NULL;
    NUL(sw_safety_number_new(NULL, 32, NULL, 0, kb, 32, NULL, 0, &tmp_number));
    NUL(sw_safety_number_new(ka, 32, NULL, 4, kb, 32, NULL, 0, &tmp_number));
    NUL(sw_safety_number_new(ka, 32, NULL, 0, NULL, 32, NULL, 0, &tmp_number));
    NUL(sw_safety_number_new(ka, 32, NULL, 0, kb, 32, NULL, 4, &tmp_number));
    NUL(sw_safety_number_new(ka, 32, NULL, 0, kb, 32, NULL, 0, NULL));
    NUL(sw_safety_number_displayable(NULL, text, sizeof text, &len));
    NUL(sw_safety_number_displayable(number, NULL, sizeof text, &len));
    NUL(sw_safety_number_displayable(number, text, sizeof text, NULL));
    NUL(sw_safety_number_scannable(NULL, buf, sizeof buf, &len));
    NUL(sw_safety_number_scannable(number, NULL, sizeof buf, &len));
    NUL(sw_safety_number_scannable(number, buf, sizeof buf, NULL));
    NUL(sw_safety_number_verify_scanned(NULL, buf, SW_SAFETY_NUMBER_SCANNABLE_LEN));
    NUL(sw_safety_number_verify_scanned(number, NULL, SW_SAFETY_NUMBER_SCANNABLE_LEN));
    sw_safety_number_free(NULL);

    /* Saved state: identity. */
    OK(sw_identity_save(alice, blob, sizeof blob, &blob_len));
    NUL(sw_identity_save(NULL, buf, sizeof buf, &len));
    NUL(sw_identity_save(alice, NULL, sizeof buf, &len));
    NUL(sw_identity_save(alice, buf, sizeof buf, NULL));
    NUL(sw_identity_load(NULL, blob_len, &tmp_id));
    NUL(sw_identity_load(blob, blob_len, NULL));
    NUL(sw_identity_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_identity_save_sealed(rng, alice, NULL, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_identity_save_sealed(rng, alice, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_identity_save_sealed(rng, alice, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf, &len));
    NUL(sw_identity_save_sealed(rng, alice, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, NULL));
    OK(sw_identity_save_sealed(NULL, alice, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &blob_len));
    NUL(sw_identity_load_sealed(NULL, 32, &TEST_ADDRESS, blob, blob_len, &tmp_id));
    NUL(sw_identity_load_sealed(KEY, 32, NULL, blob, blob_len, &tmp_id));
    NUL(sw_identity_load_sealed_legacy(NULL, 32, blob, blob_len, &tmp_id));
    NUL(sw_identity_load_sealed_legacy(KEY, 32, NULL, blob_len, &tmp_id));
    NUL(sw_identity_load_sealed_legacy(KEY, 32, blob, blob_len, NULL));
    NUL(sw_identity_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, blob_len, &tmp_id));
    NUL(sw_identity_load_sealed(KEY, 32, &TEST_ADDRESS, blob, blob_len, NULL));

    /* Saved state: prekey store. */
    OK(sw_prekey_store_save(store, blob, sizeof blob, &blob_len));
    NUL(sw_prekey_store_save(NULL, buf, sizeof buf, &len));
    NUL(sw_prekey_store_save(store, NULL, sizeof buf, &len));
    NUL(sw_prekey_store_save(store, buf, sizeof buf, NULL));
    NUL(sw_prekey_store_load(NULL, blob_len, &tmp_store));
    NUL(sw_prekey_store_load(blob, blob_len, NULL));
    NUL(sw_prekey_store_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_prekey_store_save_sealed(rng, store, NULL, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_prekey_store_save_sealed(rng, store, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_prekey_store_save_sealed(rng, store, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf, &len));
    NUL(sw_prekey_store_save_sealed(rng, store, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, NULL));
    OK(sw_prekey_store_save_sealed(NULL, store, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &blob_len));
    NUL(sw_prekey_store_load_sealed(NULL, 32, &TEST_ADDRESS, blob, blob_len, &tmp_store));
    NUL(sw_prekey_store_load_sealed(KEY, 32, NULL, blob, blob_len, &tmp_store));
    NUL(sw_prekey_store_load_sealed_legacy(NULL, 32, blob, blob_len, &tmp_store));
    NUL(sw_prekey_store_load_sealed_legacy(KEY, 32, NULL, blob_len, &tmp_store));
    NUL(sw_prekey_store_load_sealed_legacy(KEY, 32, blob, blob_len, NULL));
    NUL(sw_prekey_store_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, blob_len, &tmp_store));
    NUL(sw_prekey_store_load_sealed(KEY, 32, &TEST_ADDRESS, blob, blob_len, NULL));

    /* Saved state: session. */
    OK(sw_session_save(established, blob, sizeof blob, &blob_len));
    NUL(sw_session_save(NULL, buf, sizeof buf, &len));
    NUL(sw_session_save(established, NULL, sizeof buf, &len));
    NUL(sw_session_save(established, buf, sizeof buf, NULL));
    NUL(sw_session_load(NULL, blob_len, &tmp_session));
    NUL(sw_session_load(blob, blob_len, NULL));
    NUL(sw_session_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_session_save_sealed(rng, established, NULL, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_session_save_sealed(rng, established, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_session_save_sealed(rng, established, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf, &len));
    NUL(sw_session_save_sealed(rng, established, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, NULL));
    OK(sw_session_save_sealed(NULL, established, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &blob_len));
    NUL(sw_session_load_sealed(NULL, 32, &TEST_ADDRESS, blob, blob_len, &tmp_session));
    NUL(sw_session_load_sealed(KEY, 32, NULL, blob, blob_len, &tmp_session));
    NUL(sw_session_load_sealed_legacy(NULL, 32, blob, blob_len, &tmp_session));
    NUL(sw_session_load_sealed_legacy(KEY, 32, NULL, blob_len, &tmp_session));
    NUL(sw_session_load_sealed_legacy(KEY, 32, blob, blob_len, NULL));
    NUL(sw_session_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, blob_len, &tmp_session));
    NUL(sw_session_load_sealed(KEY, 32, &TEST_ADDRESS, blob, blob_len, NULL));

    /* Saved state: expiry queue. */
    OK(sw_expiry_queue_save(queue, blob, sizeof blob, &blob_len));
    NUL(sw_expiry_queue_save(NULL, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_save(queue, NULL, sizeof buf, &len));
    NUL(sw_expiry_queue_save(queue, buf, sizeof buf, NULL));
    NUL(sw_expiry_queue_load(NULL, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load(blob, blob_len, NULL));
    NUL(sw_expiry_queue_save_sealed(rng, NULL, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_save_sealed(rng, queue, NULL, 32, &TEST_ADDRESS, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_save_sealed(rng, queue, KEY, 32, NULL, buf, sizeof buf, &len));
    NUL(sw_expiry_queue_save_sealed(rng, queue, KEY, 32, &TEST_ADDRESS, NULL, sizeof buf, &len));
    NUL(sw_expiry_queue_save_sealed(rng, queue, KEY, 32, &TEST_ADDRESS, buf, sizeof buf, NULL));
    OK(sw_expiry_queue_save_sealed(NULL, queue, KEY, 32, &TEST_ADDRESS, blob, sizeof blob, &blob_len));
    NUL(sw_expiry_queue_load_sealed(NULL, 32, &TEST_ADDRESS, blob, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load_sealed(KEY, 32, NULL, blob, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load_sealed_legacy(NULL, 32, blob, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load_sealed_legacy(KEY, 32, NULL, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load_sealed_legacy(KEY, 32, blob, blob_len, NULL));
    NUL(sw_expiry_queue_load_sealed(KEY, 32, &TEST_ADDRESS, NULL, blob_len, &tmp_queue));
    NUL(sw_expiry_queue_load_sealed(KEY, 32, &TEST_ADDRESS, blob, blob_len, NULL));

    /* Message franking: a franked message from Alice (pending) to Bob
     * (established), the relay's key and stamp, a report and its
     * verification, an attachment pointer. */
    NUL(sw_session_franked_encrypted_len(NULL, 10, &len));
    NUL(sw_session_franked_encrypted_len(pending, 10, NULL));
    NUL(sw_session_encrypt_franked(rng, NULL, T0, SW_CONTENT_USER_MESSAGE, plain, 10, buf,
                                   sizeof buf, &len));
    NUL(sw_session_encrypt_franked(rng, pending, T0, SW_CONTENT_USER_MESSAGE, NULL, 10, buf,
                                   sizeof buf, &len));
    NUL(sw_session_encrypt_franked(rng, pending, T0, SW_CONTENT_USER_MESSAGE, plain, 10, NULL,
                                   sizeof buf, &len));
    NUL(sw_session_encrypt_franked(rng, pending, T0, SW_CONTENT_USER_MESSAGE, plain, 10, buf,
                                   sizeof buf, NULL));
    uint8_t franked[1024];
    size_t franked_len = 0;
    OK(sw_session_encrypt_franked(NULL, pending, T0, SW_CONTENT_USER_MESSAGE, NULL, 0, franked,
                                  sizeof franked, &franked_len)); /* NULL body of length 0 */
    OK(sw_session_decrypt(established, T0, franked, franked_len, plain, sizeof plain, &plain_len,
                          &info));
    CHECK(plain_len == 0 && info.is_franked);

    sw_relay_key *relay = NULL, *tmp_relay = NULL;
    NUL(sw_relay_key_new(rng, NULL));
    OK(sw_relay_key_new(NULL, &relay)); /* NULL rng: the OS generator */
    NUL(sw_relay_key_from_bytes(NULL, 32, &tmp_relay));
    NUL(sw_relay_key_from_bytes(KEY, 32, NULL));
    NUL(sw_relay_key_danger_export(NULL, buf, sizeof buf, &len));
    NUL(sw_relay_key_danger_export(relay, NULL, 32, &len));
    NUL(sw_relay_key_danger_export(relay, buf, sizeof buf, NULL));
    CHECK_RC(sw_relay_key_danger_export(relay, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_RELAY_KEY_LEN);
    sw_relay_key_free(NULL);
    NUL(sw_commitment_of(NULL, franked_len, buf, sizeof buf, &len));
    NUL(sw_commitment_of(franked, franked_len, NULL, sizeof buf, &len));
    NUL(sw_commitment_of(franked, franked_len, buf, sizeof buf, NULL));
    CHECK_RC(sw_commitment_of(franked, franked_len, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_FRANKING_COMMITMENT_LEN);
    NUL(sw_relay_stamp_message(NULL, franked, franked_len, (const uint8_t *)"a", 1,
                               (const uint8_t *)"b", 1, T0, buf, sizeof buf, &len));
    NUL(sw_relay_stamp_message(relay, NULL, franked_len, (const uint8_t *)"a", 1,
                               (const uint8_t *)"b", 1, T0, buf, sizeof buf, &len));
    NUL(sw_relay_stamp_message(relay, franked, franked_len, NULL, 1, (const uint8_t *)"b", 1, T0,
                               buf, sizeof buf, &len));
    NUL(sw_relay_stamp_message(relay, franked, franked_len, (const uint8_t *)"a", 1, NULL, 1, T0,
                               buf, sizeof buf, &len));
    NUL(sw_relay_stamp_message(relay, franked, franked_len, (const uint8_t *)"a", 1,
                               (const uint8_t *)"b", 1, T0, NULL, sizeof buf, &len));
    NUL(sw_relay_stamp_message(relay, franked, franked_len, (const uint8_t *)"a", 1,
                               (const uint8_t *)"b", 1, T0, buf, sizeof buf, NULL));
    uint8_t stamp[128];
    size_t stamp_len = 0;
    OK(sw_relay_stamp_message(relay, franked, franked_len, NULL, 0, NULL, 0, T0, stamp,
                              sizeof stamp, &stamp_len)); /* empty account ids */
    CHECK(stamp_len == 46);

    NUL(sw_report_from_received(NULL, &info, NULL, 0, stamp, stamp_len, blob, sizeof blob, &len));
    NUL(sw_report_from_received(bob, NULL, NULL, 0, stamp, stamp_len, blob, sizeof blob, &len));
    NUL(sw_report_from_received(bob, &info, NULL, 4, stamp, stamp_len, blob, sizeof blob, &len));
    NUL(sw_report_from_received(bob, &info, NULL, 0, NULL, stamp_len, blob, sizeof blob, &len));
    NUL(sw_report_from_received(bob, &info, NULL, 0, stamp, stamp_len, NULL, sizeof blob, &len));
    NUL(sw_report_from_received(bob, &info, NULL, 0, stamp, stamp_len, blob, sizeof blob, NULL));
    NUL(sw_report_from_received_with_attachment(NULL, &info, NULL, 0, stamp, stamp_len, plain, 1,
                                                blob, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, NULL, NULL, 0, stamp, stamp_len, plain, 1,
                                                blob, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, &info, NULL, 4, stamp, stamp_len, plain, 1,
                                                blob, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, &info, NULL, 0, NULL, stamp_len, plain, 1,
                                                blob, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, &info, NULL, 0, stamp, stamp_len, NULL, 1,
                                                blob, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, &info, NULL, 0, stamp, stamp_len, plain, 1,
                                                NULL, sizeof blob, &len));
    NUL(sw_report_from_received_with_attachment(bob, &info, NULL, 0, stamp, stamp_len, plain, 1,
                                                blob, sizeof blob, NULL));
    /* The empty body of the franked message: a size query, then the report. */
    CHECK_RC(sw_report_from_received(bob, &info, NULL, 0, stamp, stamp_len, NULL, 0, &blob_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(blob_len == 188); /* the fixed fields, no ids, an empty body */
    OK(sw_report_from_received(bob, &info, NULL, 0, stamp, stamp_len, blob, sizeof blob,
                               &blob_len));

    sw_verified_report *verified = NULL, *tmp_verified = NULL;
    NUL(sw_relay_verify_report(NULL, blob, blob_len, &tmp_verified));
    NUL(sw_relay_verify_report(relay, NULL, blob_len, &tmp_verified));
    NUL(sw_relay_verify_report(relay, blob, blob_len, NULL));
    OK(sw_relay_verify_report(relay, blob, blob_len, &verified));
    sw_report_info report_info;
    NUL(sw_verified_report_info(NULL, &report_info));
    NUL(sw_verified_report_info(verified, NULL));
    NUL(sw_verified_report_body(NULL, buf, sizeof buf, &len));
    NUL(sw_verified_report_body(verified, NULL, sizeof buf, &len));
    NUL(sw_verified_report_body(verified, buf, sizeof buf, NULL));
    OK(sw_verified_report_body(verified, NULL, 0, &len)); /* an empty body fits */
    CHECK(len == 0);
    NUL(sw_verified_report_routing_sender(NULL, buf, sizeof buf, &len));
    NUL(sw_verified_report_routing_sender(verified, NULL, sizeof buf, &len));
    NUL(sw_verified_report_routing_sender(verified, buf, sizeof buf, NULL));
    NUL(sw_verified_report_routing_recipient(NULL, buf, sizeof buf, &len));
    NUL(sw_verified_report_routing_recipient(verified, NULL, sizeof buf, &len));
    NUL(sw_verified_report_routing_recipient(verified, buf, sizeof buf, NULL));
    NUL(sw_verified_report_attachment(NULL, buf, sizeof buf, &len));
    NUL(sw_verified_report_attachment(verified, NULL, sizeof buf, &len));
    NUL(sw_verified_report_attachment(verified, buf, sizeof buf, NULL));
    sw_verified_report_free(NULL);

    uint8_t att_key[SW_ATTACHMENT_KEY_LEN];
    NUL(sw_attachment_key_new(rng, NULL, sizeof att_key, &len));
    NUL(sw_attachment_key_new(rng, att_key, sizeof att_key, NULL));
    CHECK_RC(sw_attachment_key_new(rng, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == SW_ATTACHMENT_KEY_LEN);
    OK(sw_attachment_key_new(NULL, att_key, sizeof att_key, &len));
    NUL(sw_attachment_encrypt(NULL, 32, plain, 4, buf, sizeof buf, &len));
    NUL(sw_attachment_encrypt(att_key, 32, NULL, 4, buf, sizeof buf, &len));
    NUL(sw_attachment_encrypt(att_key, 32, plain, 4, NULL, sizeof buf, &len));
    NUL(sw_attachment_encrypt(att_key, 32, plain, 4, buf, sizeof buf, NULL));
    OK(sw_attachment_encrypt(att_key, 32, NULL, 0, buf, sizeof buf, &len)); /* empty */
    CHECK(len == SW_ATTACHMENT_OVERHEAD);
    sw_attachment_pointer *pointer = NULL, *tmp_pointer = NULL;
    NUL(sw_attachment_pointer_new(NULL, 32, plain, 4, NULL, 0, NULL, 0, &tmp_pointer));
    NUL(sw_attachment_pointer_new(att_key, 32, NULL, 4, NULL, 0, NULL, 0, &tmp_pointer));
    NUL(sw_attachment_pointer_new(att_key, 32, plain, 4, NULL, 1, NULL, 0, &tmp_pointer));
    NUL(sw_attachment_pointer_new(att_key, 32, plain, 4, NULL, 0, NULL, 1, &tmp_pointer));
    NUL(sw_attachment_pointer_new(att_key, 32, plain, 4, NULL, 0, NULL, 0, NULL));
    OK(sw_attachment_pointer_new(att_key, 32, NULL, 0, NULL, 0, NULL, 0, &pointer));
    NUL(sw_attachment_pointer_encode(NULL, buf, sizeof buf, &len));
    NUL(sw_attachment_pointer_encode(pointer, NULL, sizeof buf, &len));
    NUL(sw_attachment_pointer_encode(pointer, buf, sizeof buf, NULL));
    OK(sw_attachment_pointer_encode(pointer, buf, sizeof buf, &len));
    CHECK(len == 77);
    NUL(sw_attachment_pointer_parse(NULL, len, &tmp_pointer));
    NUL(sw_attachment_pointer_parse(buf, len, NULL));
    NUL(sw_attachment_pointer_size(NULL, &u64));
    NUL(sw_attachment_pointer_size(pointer, NULL));
    NUL(sw_attachment_pointer_media_type(NULL, buf, sizeof buf, &len));
    NUL(sw_attachment_pointer_media_type(pointer, NULL, sizeof buf, &len));
    NUL(sw_attachment_pointer_media_type(pointer, buf, sizeof buf, NULL));
    NUL(sw_attachment_pointer_locator(NULL, buf, sizeof buf, &len));
    NUL(sw_attachment_pointer_locator(pointer, NULL, sizeof buf, &len));
    NUL(sw_attachment_pointer_locator(pointer, buf, sizeof buf, NULL));
    NUL(sw_attachment_pointer_verify(NULL, plain, 0));
    NUL(sw_attachment_pointer_verify(pointer, NULL, 4));
    OK(sw_attachment_pointer_verify(pointer, NULL, 0)); /* the empty attachment */
    OK(sw_attachment_encrypt(att_key, 32, NULL, 0, blob, sizeof blob, &blob_len));
    NUL(sw_attachment_pointer_decrypt(NULL, blob, blob_len, buf, sizeof buf, &len));
    NUL(sw_attachment_pointer_decrypt(pointer, NULL, blob_len, buf, sizeof buf, &len));
    NUL(sw_attachment_pointer_decrypt(pointer, blob, blob_len, NULL, sizeof buf, &len));
    NUL(sw_attachment_pointer_decrypt(pointer, blob, blob_len, buf, sizeof buf, NULL));
    OK(sw_attachment_pointer_decrypt(pointer, blob, blob_len, NULL, 0, &len)); /* empty: fits */
    CHECK(len == 0);
    sw_attachment_pointer_free(NULL);
    CHECK(tmp_relay == NULL && tmp_verified == NULL && tmp_pointer == NULL);
    sw_attachment_pointer_free(pointer);
    sw_verified_report_free(verified);
    sw_relay_key_free(relay);

    /* No constructor that failed left a handle behind. */
    CHECK(tmp_id == NULL && tmp_store == NULL && tmp_bundle == NULL && tmp_session == NULL &&
          tmp_queue == NULL && tmp_number == NULL);

    sw_safety_number_free(number);
    sw_expiry_queue_free(queue);
    sw_session_free(established);
    sw_session_free(pending);
    sw_bundle_free(bundle);
    sw_prekey_store_free(store);
    sw_identity_free(alice);
    sw_identity_free(bob);
    sw_rng_free(rng);
    printf("test_null: %lu checks passed\n", checks_run);
    return 0;
}
