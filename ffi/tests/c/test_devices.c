/*
 * Several devices per user through the C API (SPEC.md §21), built with
 * AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer by
 * ffi/ci.sh:
 *
 * - device lists: updates and their events (size query first, changing
 *   nothing), an identity change held until confirmed, the limits;
 * - Alice with two devices, Bob with one: Alice's first device sends one
 *   body to Bob's device and to her own second device in one call
 *   (sw_encrypt_for_devices), each decrypts; Bob replies;
 * - all or nothing: a listed device without a session, or with an
 *   unconfirmed identity change, fails the whole send, names the device,
 *   and changes no session (the next message numbers carry on);
 * - Bob loses his sessions: Alice's next message is SW_SESSION_NO_SESSION;
 *   Bob's recovery request (rate-limited) makes Alice's device restart,
 *   and the conversation carries on in a new session; forged, foreign and
 *   replayed requests are refused;
 * - hostile bytes into every new parser (recovery requests, messages,
 *   bundles, device list entries, user ids): result codes only;
 * - saved state: device lists and device sessions saved (plain and sealed,
 *   size queries first), freed and loaded, the conversation carrying on
 *   with what was saved (a skipped key, an identity change waiting, the
 *   recovery times); damaged, foreign and misplaced blobs and hostile
 *   bytes refused with codes; a single session's blob migrating to device
 *   sessions;
 * - every handle freed (LeakSanitizer checks at exit).
 */
#include "check.h"

typedef struct {
    uint8_t b[4096];
    size_t len;
} msg_t;

typedef struct {
    sw_rng *rng;
    sw_identity *id;
    uint8_t key[SW_IDENTITY_KEY_LEN];
    sw_prekey_store *prekeys;
} device_t;

static void device_new(device_t *d, uint8_t tag, bool pq) {
    uint8_t seed[SW_SEED_LEN];
    memset(seed, tag, sizeof seed);
    OK(sw_rng_danger_new_seeded(seed, sizeof seed, &d->rng));
    OK(sw_identity_new(d->rng, &d->id));
    size_t len = 0;
    OK(sw_identity_public_key(d->id, d->key, sizeof d->key, &len));
    CHECK(len == SW_IDENTITY_KEY_LEN);
    if (pq) {
        OK(sw_prekey_store_new_pq(d->rng, d->id, &d->prekeys));
    } else {
        OK(sw_prekey_store_new(d->rng, d->id, &d->prekeys));
    }
}

static void device_free(device_t *d) {
    sw_prekey_store_free(d->prekeys);
    sw_identity_free(d->id);
    sw_rng_free(d->rng);
}

/* The device's current bundle, encoded. */
static size_t bundle_of(const device_t *d, uint8_t *buf, size_t cap) {
    size_t len = 0;
    OK(sw_prekey_store_bundle(d->prekeys, d->id, buf, cap, &len));
    return len;
}

static const uint8_t *text(const char *s) { return (const uint8_t *)s; }

/* Decrypts `m` from the device whose key is `peer` and checks the text. */
static sw_received_info expect_text(sw_device_sessions *s, device_t *me, const uint8_t *peer,
                                    uint64_t now, const msg_t *m, const char *want) {
    uint8_t plain[4096];
    size_t n = 12345;
    sw_received_info info;
    OK(sw_device_sessions_decrypt(s, me->id, me->prekeys, peer, SW_IDENTITY_KEY_LEN, now, m->b,
                                  m->len, plain, sizeof plain, &n, &info));
    CHECK(n == strlen(want));
    CHECK(memcmp(plain, want, n) == 0);
    CHECK(memcmp(info.sender, peer, SW_IDENTITY_KEY_LEN) == 0);
    CHECK(info.content_type == SW_CONTENT_USER_MESSAGE);
    return info;
}

/* Copies message `i` of `msgs` into `out` (size query first), checking
 * where it goes. */
static void take_message(const sw_device_messages *msgs, size_t i, size_t recipient,
                         uint32_t device, const char *user, msg_t *out) {
    sw_device_message_info info;
    OK(sw_device_messages_info(msgs, i, &info));
    CHECK(info.recipient_index == recipient);
    CHECK(info.device_id == device);
    size_t len = 0;
    CHECK_RC(sw_device_messages_message(msgs, i, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == info.message_len && len <= sizeof out->b);
    OK(sw_device_messages_message(msgs, i, out->b, sizeof out->b, &out->len));
    CHECK(out->len == info.message_len);
    char name[SW_MAX_USER_ID_LEN];
    OK(sw_device_messages_user(msgs, i, (uint8_t *)name, sizeof name, &len));
    CHECK(len == strlen(user) && memcmp(name, user, len) == 0);
}

/* A small deterministic generator for hostile bytes. */
static uint64_t lcg_state = 0x5eed;
static uint8_t lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(lcg_state >> 56);
}

/* A result that a hostile input may give: an error code of the library,
 * never a panic, an internal error or an unmapped error. */
static void expect_clean_error(sw_result rc) {
    CHECK(rc != SW_OK);
    CHECK(rc != SW_PANIC && rc != SW_INTERNAL && rc != SW_UNKNOWN_ERROR);
}

static void test_device_lists(const device_t *b1, const device_t *a1) {
    sw_device_list *list = NULL;
    OK(sw_device_list_new(text("bob"), 3, &list));
    size_t count = 99;
    OK(sw_device_list_len(list, &count));
    CHECK(count == 0);
    uint8_t user[8];
    size_t len = 0;
    CHECK_RC(sw_device_list_user(list, NULL, 0, &len), SW_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    OK(sw_device_list_user(list, user, sizeof user, &len));
    CHECK(len == 3 && memcmp(user, "bob", 3) == 0);

    /* Two devices added: a size query first, which changes nothing. */
    sw_device_entry entries[2] = {{.device_id = 7}, {.device_id = 3}};
    memcpy(entries[0].identity, b1->key, 32);
    memcpy(entries[1].identity, a1->key, 32);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    CHECK_RC(sw_device_list_update(list, entries, 2, NULL, 0, &count), SW_BUFFER_TOO_SMALL);
    CHECK(count == 2);
    CHECK_RC(sw_device_list_update(list, entries, 2, events, 1, &count), SW_BUFFER_TOO_SMALL);
    CHECK(count == 2);
    OK(sw_device_list_len(list, &count));
    CHECK(count == 0);
    OK(sw_device_list_update(list, entries, 2, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 2);
    CHECK(events[0].kind == SW_DEVICE_EVENT_ADDED && events[0].device_id == 3);
    CHECK(memcmp(events[0].identity, a1->key, 32) == 0);
    CHECK(events[1].kind == SW_DEVICE_EVENT_ADDED && events[1].device_id == 7);
    CHECK(memcmp(events[1].identity, b1->key, 32) == 0);
    uint32_t ids[4];
    CHECK_RC(sw_device_list_device_ids(list, ids, 1, &count), SW_BUFFER_TOO_SMALL);
    CHECK(count == 2);
    OK(sw_device_list_device_ids(list, ids, 4, &count));
    CHECK(count == 2 && ids[0] == 3 && ids[1] == 7);
    /* The same list again: no event. */
    OK(sw_device_list_update(list, entries, 2, NULL, 0, &count));
    CHECK(count == 0);

    /* Device 7 announces another key: held until confirmed. */
    memcpy(entries[0].identity, a1->key, 32);
    OK(sw_device_list_update(list, entries, 2, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1 && events[0].kind == SW_DEVICE_EVENT_IDENTITY_CHANGED);
    CHECK(events[0].device_id == 7);
    CHECK(memcmp(events[0].identity, a1->key, 32) == 0);
    CHECK(memcmp(events[0].old_identity, b1->key, 32) == 0);
    sw_device_identity who;
    bool found = false;
    OK(sw_device_list_identity(list, 7, &who, &found));
    CHECK(found && who.has_announced);
    CHECK(memcmp(who.identity, b1->key, 32) == 0 && memcmp(who.announced, a1->key, 32) == 0);
    CHECK_RC(sw_device_list_confirm_identity(list, 7, b1->key, 32), SW_DEVICE_NO_PENDING_CHANGE);
    CHECK_RC(sw_device_list_confirm_identity(list, 8, a1->key, 32), SW_DEVICE_UNKNOWN_DEVICE);
    CHECK_RC(sw_device_list_confirm_identity(list, 7, a1->key, 31), SW_INVALID_ARGUMENT);
    OK(sw_device_list_confirm_identity(list, 7, a1->key, 32));
    OK(sw_device_list_identity(list, 7, &who, &found));
    CHECK(found && !who.has_announced && memcmp(who.identity, a1->key, 32) == 0);
    OK(sw_device_list_identity(list, 8, &who, &found));
    CHECK(!found && who.identity[0] == 0);

    /* Device 3 leaves. */
    OK(sw_device_list_update(list, entries, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1 && events[0].kind == SW_DEVICE_EVENT_REMOVED && events[0].device_id == 3);

    /* Refused updates change nothing. */
    sw_device_entry many[SW_MAX_DEVICES_PER_USER + 1];
    for (uint32_t i = 0; i <= SW_MAX_DEVICES_PER_USER; i++) {
        many[i].device_id = i;
        memcpy(many[i].identity, b1->key, 32);
    }
    CHECK_RC(sw_device_list_update(list, many, SW_MAX_DEVICES_PER_USER + 1, events,
                                   SW_MAX_DEVICE_EVENTS, &count),
             SW_DEVICE_TOO_MANY_DEVICES);
    CHECK(count == 0);
    many[1].device_id = 0;
    CHECK_RC(sw_device_list_update(list, many, 2, events, SW_MAX_DEVICE_EVENTS, &count),
             SW_DEVICE_DUPLICATE_DEVICE);
    memset(many[1].identity, 0xff, 32); /* not a key */
    many[1].device_id = 1;
    CHECK_RC(sw_device_list_update(list, many, 2, events, SW_MAX_DEVICE_EVENTS, &count),
             SW_DECODE_INVALID_KEY);
    OK(sw_device_list_len(list, &count));
    CHECK(count == 1);
    OK(sw_device_list_identity(list, 7, &who, &found));
    CHECK(found && memcmp(who.identity, a1->key, 32) == 0);
    /* A full list; then 32 other devices (every one removed, every one
     * added: SW_MAX_DEVICE_EVENTS events); then none. */
    memcpy(many[1].identity, b1->key, 32);
    OK(sw_device_list_update(list, many + 1, SW_MAX_DEVICES_PER_USER, events,
                             SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == SW_MAX_DEVICES_PER_USER); /* 31 added, device 7 changed */
    CHECK(events[6].kind == SW_DEVICE_EVENT_IDENTITY_CHANGED && events[6].device_id == 7);
    for (uint32_t i = 0; i < SW_MAX_DEVICES_PER_USER; i++) {
        many[i].device_id = 100 + i;
    }
    CHECK_RC(sw_device_list_update(list, many, SW_MAX_DEVICES_PER_USER, NULL, 0, &count),
             SW_BUFFER_TOO_SMALL);
    CHECK(count == SW_MAX_DEVICE_EVENTS);
    OK(sw_device_list_update(list, many, SW_MAX_DEVICES_PER_USER, events, SW_MAX_DEVICE_EVENTS,
                             &count));
    CHECK(count == SW_MAX_DEVICE_EVENTS);
    OK(sw_device_list_update(list, NULL, 0, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == SW_MAX_DEVICES_PER_USER);
    for (size_t i = 0; i < count; i++) {
        CHECK(events[i].kind == SW_DEVICE_EVENT_REMOVED);
    }
    /* Misaligned arrays are refused, never read. */
    uint32_t words[64];
    CHECK_RC(sw_device_list_update(list, (const sw_device_entry *)((uint8_t *)words + 1), 1,
                                   events, SW_MAX_DEVICE_EVENTS, &count),
             SW_INVALID_ARGUMENT);
    sw_device_list_free(list);

    /* User ids: UTF-8, at most 255 bytes. */
    sw_device_list *other = list;
    CHECK_RC(sw_device_list_new(text("\xff\xfe"), 2, &other), SW_INVALID_ARGUMENT);
    CHECK(other == NULL);
    char long_id[SW_MAX_USER_ID_LEN + 1];
    memset(long_id, 'x', sizeof long_id);
    CHECK_RC(sw_device_list_new(text(long_id), sizeof long_id, &other),
             SW_DEVICE_TOO_MANY_DEVICES);
    OK(sw_device_list_new(text(long_id), SW_MAX_USER_ID_LEN, &other));
    sw_device_list_free(other);
    OK(sw_device_list_new(NULL, 0, &other)); /* an empty id */
    sw_device_list_free(other);
}

/* One list with one entry per (device id, key). */
static sw_device_list *list_of(const char *user, size_t n, const uint32_t *ids,
                               const uint8_t *const *keys) {
    sw_device_list *list = NULL;
    OK(sw_device_list_new(text(user), strlen(user), &list));
    sw_device_entry entries[4];
    CHECK(n <= 4);
    for (size_t i = 0; i < n; i++) {
        entries[i].device_id = ids[i];
        memcpy(entries[i].identity, keys[i], 32);
    }
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    size_t count = 0;
    OK(sw_device_list_update(list, entries, n, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == n);
    return list;
}

static void test_two_devices(void) {
    uint64_t now = T0;
    device_t a1, a2, b1;
    device_new(&a1, 1, false);
    device_new(&a2, 2, true); /* PQ: its messages are longer */
    device_new(&b1, 3, false);
    test_device_lists(&b1, &a1);

    /* Alice's first device holds Bob's list and her own. */
    const uint32_t bob_ids[] = {1}, alice_ids[] = {1, 2};
    const uint8_t *bob_keys[] = {b1.key}, *alice_keys[] = {a1.key, a2.key};
    sw_device_list *bob_list = list_of("bob", 1, bob_ids, bob_keys);
    sw_device_list *alice_list = list_of("alice", 2, alice_ids, alice_keys);
    sw_device_sessions *a1_b1 = NULL, *a1_a2 = NULL, *b1_a1 = NULL, *a2_a1 = NULL;
    OK(sw_device_sessions_new(&a1_b1));
    OK(sw_device_sessions_new(&a1_a2));
    OK(sw_device_sessions_new(&b1_a1));
    OK(sw_device_sessions_new(&a2_a1));

    sw_device_sessions_entry bob_sessions[] = {{.device_id = 1, .sessions = a1_b1}};
    sw_device_sessions_entry own_sessions[] = {{.device_id = 2, .sessions = a1_a2}};
    sw_recipient recipients[] = {
        {.devices = bob_list, .sessions = bob_sessions, .sessions_len = 1},
        {.devices = alice_list, .sessions = own_sessions, .sessions_len = 1},
    };
    const sw_device_address me = {.user = text("alice"), .user_len = 5, .device_id = 1};
    sw_device_failure failure;
    sw_device_messages *msgs = NULL;

    /* No session yet: the send fails and names the device. */
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("hi"), 2, &me,
                                    recipients, 2, &failure, &msgs),
             SW_DEVICE_NO_SESSION);
    CHECK(msgs == NULL);
    CHECK(failure.failed && failure.recipient_index == 0 && failure.device_id == 1);

    /* Sessions started from the bundles, checked against the lists. */
    uint8_t bundle[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = bundle_of(&b1, bundle, sizeof bundle);
    CHECK_RC(sw_device_sessions_initiate(a1.rng, a1_b1, a1.id, a2.key, 32, bundle, bundle_len),
             SW_SESSION_UNTRUSTED_IDENTITY);
    bool flag = true;
    OK(sw_device_sessions_has_current(a1_b1, &flag));
    CHECK(!flag);
    OK(sw_device_sessions_initiate(a1.rng, a1_b1, a1.id, b1.key, 32, bundle, bundle_len));
    OK(sw_device_sessions_has_current(a1_b1, &flag));
    CHECK(flag);
    OK(sw_device_sessions_is_established(a1_b1, &flag));
    CHECK(!flag);
    bundle_len = bundle_of(&a2, bundle, sizeof bundle);
    OK(sw_device_sessions_initiate(NULL, a1_a2, a1.id, a2.key, 32, bundle, bundle_len));

    /* One call, one message per device: Bob's device 1 and Alice's own
     * device 2 (device 1, ourselves, is skipped). */
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("hello"), 5, &me,
                              recipients, 2, &failure, &msgs));
    CHECK(!failure.failed);
    size_t count = 0;
    OK(sw_device_messages_count(msgs, &count));
    CHECK(count == 2);
    msg_t to_b1, to_a2;
    take_message(msgs, 0, 0, 1, "bob", &to_b1);
    take_message(msgs, 1, 1, 2, "alice", &to_a2);
    sw_device_message_info info;
    CHECK_RC(sw_device_messages_info(msgs, 2, &info), SW_INVALID_ARGUMENT);
    CHECK_RC(sw_device_messages_message(msgs, 2, to_b1.b, sizeof to_b1.b, &count),
             SW_INVALID_ARGUMENT);
    sw_device_messages_free(msgs);
    CHECK(to_a2.len > to_b1.len + SW_KEM_CIPHERTEXT_LEN); /* PQXDH to device 2 */

    /* Each device decrypts (a prekey message: a new session). A message
     * from a key the list does not hold is refused first. */
    uint8_t plain[4096];
    size_t n = 0;
    sw_received_info rinfo;
    CHECK_RC(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a2.key, 32, now, to_b1.b,
                                        to_b1.len, plain, sizeof plain, &n, &rinfo),
             SW_SESSION_UNTRUSTED_IDENTITY);
    CHECK_RC(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a1.key, 32, now, to_b1.b,
                                        to_b1.len, plain, 4, &n, &rinfo),
             SW_BUFFER_TOO_SMALL);
    CHECK(n == to_b1.len);
    expect_text(b1_a1, &b1, a1.key, now, &to_b1, "hello");
    expect_text(a2_a1, &a2, a1.key, now, &to_a2, "hello");
    OK(sw_device_sessions_is_established(b1_a1, &flag));
    CHECK(flag);

    /* Bob replies; Alice's device 1 decrypts: established. */
    msg_t reply;
    size_t need = 0;
    OK(sw_device_sessions_encrypted_len(b1_a1, 8, false, &need));
    CHECK_RC(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a1.key, 32, SW_CONTENT_USER_MESSAGE,
                                        false, text("hi Alice"), 8, reply.b, need - 1, &reply.len),
             SW_BUFFER_TOO_SMALL);
    CHECK(reply.len == need);
    CHECK_RC(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a2.key, 32, SW_CONTENT_USER_MESSAGE,
                                        false, text("hi Alice"), 8, reply.b, sizeof reply.b,
                                        &reply.len),
             SW_SESSION_NO_SESSION); /* not the current session's peer */
    OK(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("hi Alice"), 8, reply.b, sizeof reply.b, &reply.len));
    CHECK(reply.len == need);
    expect_text(a1_b1, &a1, b1.key, now, &reply, "hi Alice");
    OK(sw_device_sessions_is_established(a1_b1, &flag));
    CHECK(flag);
    n = 0;
    OK(sw_device_sessions_their_identity(a1_b1, plain, sizeof plain, &n));
    CHECK(n == 32 && memcmp(plain, b1.key, 32) == 0);

    /* A franked fan-out: Bob's device gets the evidence. */
    now += SECONDS(1);
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, true, text("second"), 6, &me,
                              recipients, 2, &failure, &msgs));
    take_message(msgs, 0, 0, 1, "bob", &to_b1);
    take_message(msgs, 1, 1, 2, "alice", &to_a2);
    sw_device_messages_free(msgs);
    rinfo = expect_text(b1_a1, &b1, a1.key, now, &to_b1, "second");
    CHECK(rinfo.is_franked && rinfo.message_number == 0);
    expect_text(a2_a1, &a2, a1.key, now, &to_a2, "second");

    /* All or nothing: Bob gets a second device without a session. Nothing
     * is sent, no session changes, the failing device is named. */
    device_t b2;
    device_new(&b2, 4, false);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    sw_device_entry two[2] = {{.device_id = 1}, {.device_id = 2}};
    memcpy(two[0].identity, b1.key, 32);
    memcpy(two[1].identity, b2.key, 32);
    OK(sw_device_list_update(bob_list, two, 2, events, SW_MAX_DEVICE_EVENTS, &count));
    msgs = (sw_device_messages *)&failure; /* any pointer: set to NULL on error */
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("lost?"), 5,
                                    &me, recipients, 2, &failure, &msgs),
             SW_DEVICE_NO_SESSION);
    CHECK(msgs == NULL);
    CHECK(failure.failed && failure.recipient_index == 0 && failure.device_id == 2);
    OK(sw_device_list_update(bob_list, two, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1); /* device 2 left again */
    /* An unconfirmed identity change of Bob's device 1 also stops it. */
    memcpy(two[0].identity, b2.key, 32);
    OK(sw_device_list_update(bob_list, two, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1 && events[0].kind == SW_DEVICE_EVENT_IDENTITY_CHANGED);
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("lost?"), 5,
                                    &me, recipients, 2, &failure, &msgs),
             SW_DEVICE_UNCONFIRMED_IDENTITY);
    CHECK(failure.failed && failure.recipient_index == 0 && failure.device_id == 1);
    memcpy(two[0].identity, b1.key, 32); /* announced back to the held key */
    OK(sw_device_list_update(bob_list, two, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 0);
    /* A body too large, an unknown content type: refused. */
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_TIMER_CHANGE, false, text("x"), 1, &me,
                                    recipients, 2, &failure, &msgs),
             SW_INVALID_ARGUMENT);
    CHECK(!failure.failed);
    /* A sessions handle given twice, a user twice, a device twice, a
     * handle of another type: refused before anything changes. */
    sw_device_sessions_entry same[] = {{.device_id = 2, .sessions = a1_b1}};
    sw_recipient twice[] = {
        {.devices = bob_list, .sessions = bob_sessions, .sessions_len = 1},
        {.devices = alice_list, .sessions = same, .sessions_len = 1},
    };
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    twice, 2, &failure, &msgs),
             SW_INVALID_ARGUMENT);
    sw_recipient user_twice[] = {recipients[0], recipients[0]};
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    user_twice, 2, &failure, &msgs),
             SW_INVALID_ARGUMENT);
    sw_device_sessions_entry dup_device[] = {{.device_id = 2, .sessions = a1_a2},
                                             {.device_id = 2, .sessions = b1_a1}};
    sw_recipient dup[] = {{.devices = alice_list, .sessions = dup_device, .sessions_len = 2}};
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    dup, 1, &failure, &msgs),
             SW_INVALID_ARGUMENT);
    sw_device_sessions_entry wrong_type[] = {{.device_id = 1, .sessions = (void *)bob_list}};
    sw_recipient wrong[] = {{.devices = bob_list, .sessions = wrong_type, .sessions_len = 1}};
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    wrong, 1, &failure, &msgs),
             SW_INVALID_HANDLE);
    sw_recipient wrong_list[] = {{.devices = (void *)a1_b1, .sessions = NULL, .sessions_len = 0}};
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    wrong_list, 1, &failure, &msgs),
             SW_INVALID_HANDLE);
    const sw_device_address not_utf8 = {.user = text("\xc3"), .user_len = 1, .device_id = 1};
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1,
                                    &not_utf8, recipients, 2, &failure, &msgs),
             SW_INVALID_ARGUMENT);
    /* No recipient: no message. */
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, NULL, 0, &me, NULL, 0,
                              &failure, &msgs));
    OK(sw_device_messages_count(msgs, &count));
    CHECK(count == 0);
    sw_device_messages_free(msgs);

    /* The failed sends changed nothing: the next message is number 1 of
     * Alice's chain to Bob, which decrypts. */
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("third"), 5, &me,
                              recipients, 2, &failure, &msgs));
    take_message(msgs, 0, 0, 1, "bob", &to_b1);
    take_message(msgs, 1, 1, 2, "alice", &to_a2);
    sw_device_messages_free(msgs);
    rinfo = expect_text(b1_a1, &b1, a1.key, now, &to_b1, "third");
    CHECK(rinfo.message_number == 1);
    expect_text(a2_a1, &a2, a1.key, now, &to_a2, "third");

    /* Bob loses his sessions. Alice's next message: no session takes it. */
    sw_device_sessions_free(b1_a1);
    OK(sw_device_sessions_new(&b1_a1));
    now += SECONDS(5);
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("lost"), 4, &me,
                              recipients, 2, &failure, &msgs));
    msg_t lost;
    take_message(msgs, 0, 0, 1, "bob", &lost);
    sw_device_messages_free(msgs);
    n = 77;
    CHECK_RC(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a1.key, 32, now, lost.b,
                                        lost.len, plain, sizeof plain, &n, &rinfo),
             SW_SESSION_NO_SESSION);
    CHECK(n == 0);

    /* Bob asks Alice's device to restart (a size query first). */
    uint8_t request[SW_RECOVERY_REQUEST_LEN];
    size_t request_len = 0;
    CHECK_RC(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now, lost.b, lost.len,
                                                 NULL, 0, &request_len),
             SW_BUFFER_TOO_SMALL);
    CHECK(request_len == SW_RECOVERY_REQUEST_LEN);
    CHECK_RC(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now, lost.b, 3,
                                                 request, sizeof request, &request_len),
             SW_DECODE_TRUNCATED);
    OK(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now, lost.b, lost.len,
                                           request, sizeof request, &request_len));
    CHECK(request_len == SW_RECOVERY_REQUEST_LEN);
    uint8_t again[SW_RECOVERY_REQUEST_LEN];
    CHECK_RC(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now + SECONDS(59),
                                                 lost.b, lost.len, again, sizeof again,
                                                 &request_len),
             SW_RECOVERY_TOO_MANY_REQUESTS);

    /* Alice routes it by its requester. */
    sw_recovery_request_info rq;
    OK(sw_recovery_request_parse(request, sizeof request, &rq));
    CHECK(memcmp(rq.requester, b1.key, 32) == 0 && memcmp(rq.target, a1.key, 32) == 0);
    CHECK(rq.counter == 2 && rq.requested_at_ms == now);

    /* Forged or foreign requests are refused and change nothing. */
    sw_recovery_action action = SW_RECOVERY_ACTION_RESEND;
    uint32_t counter = 99;
    for (size_t i = 0; i < sizeof request; i++) {
        uint8_t forged[SW_RECOVERY_REQUEST_LEN];
        memcpy(forged, request, sizeof forged);
        forged[i] ^= 0x04;
        sw_result rc = sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now,
                                                                  forged, sizeof forged,
                                                                  &action, &counter);
        expect_clean_error(rc);
        CHECK(action == SW_RECOVERY_ACTION_NONE && counter == 0);
    }
    CHECK_RC(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, a2.key, 32, now, request,
                                                        sizeof request, &action, &counter),
             SW_RECOVERY_AUTHENTICATION_FAILED); /* not the peer's */
    CHECK_RC(sw_device_sessions_accept_recovery_request(a1_a2, a2.id, b1.key, 32, now, request,
                                                        sizeof request, &action, &counter),
             SW_RECOVERY_NOT_FOR_US);
    CHECK_RC(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now, request,
                                                        sizeof request - 1, &action, &counter),
             SW_DECODE_TRUNCATED);
    OK(sw_device_sessions_has_current(a1_b1, &flag));
    CHECK(flag);

    /* The genuine one: the session stops sending. */
    OK(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now, request,
                                                  sizeof request, &action, &counter));
    CHECK(action == SW_RECOVERY_ACTION_RESTART && counter == 2);
    OK(sw_device_sessions_has_current(a1_b1, &flag));
    CHECK(!flag);
    OK(sw_device_sessions_previous_count(a1_b1, &count));
    CHECK(count == 1);
    CHECK_RC(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now, request,
                                                        sizeof request, &action, &counter),
             SW_RECOVERY_REPLAYED_REQUEST);
    CHECK(action == SW_RECOVERY_ACTION_NONE);

    /* Until a new session starts, nothing is sent to Bob's device. */
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("again"), 5,
                                    &me, recipients, 2, &failure, &msgs),
             SW_DEVICE_NO_SESSION);
    CHECK(failure.failed && failure.recipient_index == 0 && failure.device_id == 1);
    bundle_len = bundle_of(&b1, bundle, sizeof bundle);
    OK(sw_device_sessions_initiate(a1.rng, a1_b1, a1.id, b1.key, 32, bundle, bundle_len));
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("again"), 5, &me,
                              recipients, 2, &failure, &msgs));
    take_message(msgs, 0, 0, 1, "bob", &to_b1);
    take_message(msgs, 1, 1, 2, "alice", &to_a2);
    sw_device_messages_free(msgs);
    expect_text(b1_a1, &b1, a1.key, now, &to_b1, "again");
    expect_text(a2_a1, &a2, a1.key, now, &to_a2, "again");
    OK(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("back"), 4, reply.b, sizeof reply.b, &reply.len));
    expect_text(a1_b1, &a1, b1.key, now, &reply, "back");

    /* Hostile bytes into the new parsers: codes only, nothing changed. */
    for (int round = 0; round < 300; round++) {
        uint8_t junk[SW_RECOVERY_REQUEST_LEN + 8];
        size_t len = (size_t)(lcg() % sizeof junk) + 1;
        for (size_t i = 0; i < len; i++) {
            junk[i] = lcg();
        }
        if (round % 2 == 0 && len >= 2) {
            junk[0] = 0x01; /* a plausible version and type */
            junk[1] = 0x40;
        }
        sw_result rc = sw_recovery_request_parse(junk, len, &rq);
        CHECK(rc != SW_PANIC && rc != SW_INTERNAL && rc != SW_UNKNOWN_ERROR);
        expect_clean_error(sw_device_sessions_accept_recovery_request(
            a1_b1, a1.id, b1.key, 32, now, junk, len, &action, &counter));
        expect_clean_error(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a1.key, 32, now,
                                                      junk, len, plain, sizeof plain, &n, &rinfo));
        expect_clean_error(
            sw_device_sessions_initiate(a1.rng, a1_a2, a1.id, a2.key, 32, junk, len));
        /* A mutated genuine message. */
        msg_t mutated = to_b1;
        mutated.b[lcg() % mutated.len] ^= (uint8_t)(1u << (lcg() % 8));
        expect_clean_error(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a1.key, 32, now,
                                                      mutated.b, mutated.len, plain,
                                                      sizeof plain, &n, &rinfo));
        expect_clean_error(sw_device_sessions_recovery_request(
            b1_a1, b1.id, a1.key, 32, now, junk, len > 2 ? 2 : len, again, sizeof again, &n));
    }
    uint8_t bad_version[SW_RECOVERY_REQUEST_LEN];
    memcpy(bad_version, request, sizeof request);
    bad_version[0] = 0x02;
    CHECK_RC(sw_recovery_request_parse(bad_version, sizeof bad_version, &rq),
             SW_DECODE_UNSUPPORTED_VERSION);
    bad_version[0] = 0x01;
    bad_version[1] = 0x41;
    CHECK_RC(sw_recovery_request_parse(bad_version, sizeof bad_version, &rq),
             SW_DECODE_UNEXPECTED_TYPE);
    memset(bad_version + 2, 0xff, 32);
    bad_version[1] = 0x40;
    CHECK_RC(sw_recovery_request_parse(bad_version, sizeof bad_version, &rq),
             SW_DECODE_INVALID_KEY);
    CHECK(rq.counter == 0 && rq.requester[0] == 0); /* cleared on error */
    CHECK_RC(sw_recovery_request_parse(request, sizeof request - 1, &rq), SW_DECODE_TRUNCATED);
    uint8_t longer[SW_RECOVERY_REQUEST_LEN + 1] = {0};
    memcpy(longer, request, sizeof request);
    CHECK_RC(sw_recovery_request_parse(longer, sizeof longer, &rq), SW_DECODE_TOO_LARGE);
    /* After all that, the sessions still work both ways. */
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_RECEIPT, false,
                                  text("ok"), 2, reply.b, sizeof reply.b, &reply.len));
    OK(sw_device_sessions_decrypt(b1_a1, b1.id, b1.prekeys, a1.key, 32, now, reply.b, reply.len,
                                  plain, sizeof plain, &n, &rinfo));
    CHECK(n == 2 && memcmp(plain, "ok", 2) == 0 && rinfo.content_type == SW_CONTENT_RECEIPT);

    sw_device_sessions_free(a1_b1);
    sw_device_sessions_free(a1_a2);
    sw_device_sessions_free(b1_a1);
    sw_device_sessions_free(a2_a1);
    sw_device_list_free(bob_list);
    sw_device_list_free(alice_list);
    device_free(&a1);
    device_free(&a2);
    device_free(&b1);
    device_free(&b2);
}

/* ---- Saved state ---- */

/* The storage key the sealed blobs of these tests are sealed under. */
static const uint8_t STORAGE_KEY[32] = {0x42, 0x42, 0x42, 0x42};

/* Where a blob is stored: our identity key, the peer's user id and a
 * context (the app's table); `device` 0 binds no device id (a user's
 * device list), else that device's. */
static sw_blob_address row_for(const uint8_t *owner, const char *user, uint32_t device,
                               const char *context) {
    sw_blob_address a;
    memset(&a, 0, sizeof a);
    memcpy(a.owner, owner, SW_IDENTITY_KEY_LEN);
    a.peer_name = text(user);
    a.peer_name_len = strlen(user);
    a.has_device_id = device != 0;
    a.device_id = device;
    a.context = text(context);
    a.context_len = strlen(context);
    return a;
}

/* Runs a `_save` or `_save_sealed` call whose last three arguments are the
 * buffer, its length and the length out: a size query first, then a
 * buffer one byte short (nothing written, the length needed stored), then
 * the whole blob into `blob`, malloc'ed. */
#define SAVE(blob, blob_len, fn, ...)                                                      \
    do {                                                                                   \
        size_t need_ = 0;                                                                  \
        CHECK_RC(fn(__VA_ARGS__, NULL, 0, &need_), SW_BUFFER_TOO_SMALL);                   \
        CHECK(need_ > 0);                                                                  \
        (blob) = malloc(need_);                                                            \
        CHECK((blob) != NULL);                                                             \
        CHECK_RC(fn(__VA_ARGS__, (blob), need_ - 1, &(blob_len)), SW_BUFFER_TOO_SMALL);    \
        CHECK((blob_len) == need_);                                                        \
        OK(fn(__VA_ARGS__, (blob), need_, &(blob_len)));                                   \
        CHECK((blob_len) == need_);                                                        \
    } while (0)

/* Every loader of device state refuses `bytes` with a result code (never
 * SW_OK, a panic or an internal error), its out handle set to NULL. */
static void expect_refused_everywhere(const uint8_t *bytes, size_t len,
                                      const sw_blob_address *sessions_row,
                                      const sw_blob_address *list_row) {
    sw_device_sessions *s = (sw_device_sessions *)&s; /* any pointer: set to NULL */
    sw_device_list *l = (sw_device_list *)&l;
    expect_clean_error(sw_device_sessions_load(bytes, len, &s));
    CHECK(s == NULL);
    expect_clean_error(sw_device_sessions_load_sealed(STORAGE_KEY, 32, sessions_row, bytes, len, &s));
    expect_clean_error(sw_device_sessions_load_sealed_legacy(STORAGE_KEY, 32, bytes, len, &s));
    CHECK(s == NULL);
    expect_clean_error(sw_device_list_load(bytes, len, &l));
    CHECK(l == NULL);
    expect_clean_error(sw_device_list_load_sealed(STORAGE_KEY, 32, list_row, bytes, len, &l));
    CHECK(l == NULL);
}

/* Hostile versions of a valid blob: every truncation, one flipped bit in
 * every byte, a flipped bit with a byte appended. */
static void expect_mutations_refused(uint8_t *blob, size_t len, const sw_blob_address *sessions_row,
                                     const sw_blob_address *list_row) {
    for (size_t cut = 0; cut < len; cut++) {
        expect_refused_everywhere(cut == 0 ? NULL : blob, cut, sessions_row, list_row);
    }
    uint8_t *longer = malloc(len + 1);
    CHECK(longer != NULL);
    for (size_t i = 0; i < len; i++) {
        uint8_t bit = (uint8_t)(1u << (lcg() % 8));
        blob[i] ^= bit;
        expect_refused_everywhere(blob, len, sessions_row, list_row);
        blob[i] ^= bit;
        if (i % 64 == 0) {
            memcpy(longer, blob, len);
            longer[len] = lcg();
            expect_refused_everywhere(longer, len + 1, sessions_row, list_row);
        }
    }
    free(longer);
}

/* Saves a device list and the sessions of both sides, plain and sealed,
 * frees them, refuses damaged, foreign and misplaced blobs, loads them and
 * carries on: the skipped key, the identity change waiting for
 * confirmation and the recovery times were saved with them. */
static void test_saved_state(void) {
    uint64_t now = T0 + SECONDS(3600);
    device_t a1, b1;
    device_new(&a1, 21, false);
    device_new(&b1, 22, true);
    const uint32_t ids[] = {1};
    const uint8_t *bob_keys[] = {b1.key};
    sw_device_list *bob_list = list_of("bob", 1, ids, bob_keys);
    sw_device_sessions *a1_b1 = NULL, *b1_a1 = NULL;
    OK(sw_device_sessions_new(&a1_b1));
    OK(sw_device_sessions_new(&b1_a1));
    uint8_t bundle[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = bundle_of(&b1, bundle, sizeof bundle);
    OK(sw_device_sessions_initiate(a1.rng, a1_b1, a1.id, b1.key, 32, bundle, bundle_len));

    /* An empty handle saves and loads too. */
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    SAVE(blob, blob_len, sw_device_sessions_save, b1_a1);
    sw_device_sessions *empty = NULL;
    OK(sw_device_sessions_load(blob, blob_len, &empty));
    bool flag = true;
    OK(sw_device_sessions_has_current(empty, &flag));
    CHECK(!flag);
    sw_device_sessions_free(empty);
    free(blob);

    /* A conversation; one of Alice's messages is held back (Bob keeps its
     * key as a skipped key). */
    msg_t m, late;
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("hello"), 5, m.b, sizeof m.b, &m.len));
    expect_text(b1_a1, &b1, a1.key, now, &m, "hello");
    OK(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("hi Alice"), 8, m.b, sizeof m.b, &m.len));
    expect_text(a1_b1, &a1, b1.key, now, &m, "hi Alice");
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("late"), 4, late.b, sizeof late.b, &late.len));
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("on time"), 7, m.b, sizeof m.b, &m.len));
    expect_text(b1_a1, &b1, a1.key, now, &m, "on time");

    /* Bob's device announces another key: held until confirmed. */
    sw_device_entry entry = {.device_id = 1};
    memcpy(entry.identity, a1.key, 32);
    sw_device_event events[SW_MAX_DEVICE_EVENTS];
    size_t count = 0;
    OK(sw_device_list_update(bob_list, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 1 && events[0].kind == SW_DEVICE_EVENT_IDENTITY_CHANGED);

    /* Saved: the list plain and sealed (Alice's row for Bob's list),
     * Alice's sessions plain, Bob's sealed (his row for Alice's device 1). */
    const sw_blob_address list_row = row_for(a1.key, "bob", 0, "device_lists");
    const sw_blob_address bob_row = row_for(b1.key, "alice", 1, "sessions");
    uint8_t *list_plain = NULL, *list_sealed = NULL, *a_blob = NULL, *b_blob = NULL;
    size_t list_len = 0, list_sealed_len = 0, a_len = 0, b_len = 0;
    SAVE(list_plain, list_len, sw_device_list_save, bob_list);
    SAVE(list_sealed, list_sealed_len, sw_device_list_save_sealed, a1.rng, bob_list, STORAGE_KEY, 32, &list_row);
    SAVE(a_blob, a_len, sw_device_sessions_save, a1_b1);
    SAVE(b_blob, b_len, sw_device_sessions_save_sealed, NULL, b1_a1, STORAGE_KEY, 32, &bob_row);
    /* Kinds 0x08 and 0x07 (STORAGE.md §11, §12); a sealed blob is its
     * body with 62 + 16 bytes of envelope, a plain one with 6 + 16. */
    CHECK(list_plain[4] == 0x08 && list_sealed[4] == 0x08);
    CHECK(a_blob[4] == 0x07 && b_blob[4] == 0x07);
    CHECK(list_sealed_len == list_len - 22 + 78);
    sw_device_list_free(bob_list);
    sw_device_sessions_free(a1_b1);
    sw_device_sessions_free(b1_a1);

    /* Refused: another kind, plain for sealed and back, another key,
     * another row, a bound blob as a legacy one, damage. */
    uint8_t other_key[32];
    memset(other_key, 0x55, sizeof other_key);
    sw_device_sessions *s = NULL;
    sw_device_list *l = NULL;
    sw_session *one = NULL;
    CHECK_RC(sw_device_sessions_load(list_plain, list_len, &s), SW_STATE_WRONG_KIND);
    CHECK_RC(sw_device_list_load(a_blob, a_len, &l), SW_STATE_WRONG_KIND);
    CHECK_RC(sw_session_load(a_blob, a_len, &one), SW_STATE_WRONG_KIND); /* no way back */
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &list_row, list_sealed,
                                            list_sealed_len, &s),
             SW_STATE_WRONG_KIND);
    CHECK_RC(sw_device_sessions_load(b_blob, b_len, &s), SW_STATE_SEALED);
    CHECK_RC(sw_device_list_load(list_sealed, list_sealed_len, &l), SW_STATE_SEALED);
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, a_blob, a_len, &s),
             SW_STATE_NOT_SEALED);
    CHECK_RC(sw_device_list_load_sealed(STORAGE_KEY, 32, &list_row, list_plain, list_len, &l),
             SW_STATE_NOT_SEALED);
    CHECK_RC(sw_device_sessions_load_sealed(other_key, 32, &bob_row, b_blob, b_len, &s),
             SW_STATE_WRONG_STORAGE_KEY);
    CHECK_RC(sw_device_list_load_sealed(other_key, 32, &list_row, list_sealed, list_sealed_len,
                                        &l),
             SW_STATE_WRONG_STORAGE_KEY);
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 31, &bob_row, b_blob, b_len, &s),
             SW_INVALID_ARGUMENT);
    /* Moved: to Alice's device 2, to Carol's row, to another table, to
     * another owner's storage. */
    sw_blob_address elsewhere = bob_row;
    elsewhere.device_id = 2;
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &elsewhere, b_blob, b_len, &s),
             SW_STATE_WRONG_ADDRESS);
    elsewhere = row_for(b1.key, "carol", 1, "sessions");
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &elsewhere, b_blob, b_len, &s),
             SW_STATE_WRONG_ADDRESS);
    elsewhere = row_for(b1.key, "alice", 1, "device_lists");
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &elsewhere, b_blob, b_len, &s),
             SW_STATE_WRONG_ADDRESS);
    elsewhere = row_for(b1.key, "bob", 0, "device_lists");
    CHECK_RC(sw_device_list_load_sealed(STORAGE_KEY, 32, &elsewhere, list_sealed, list_sealed_len,
                                        &l),
             SW_STATE_WRONG_ADDRESS);
    elsewhere = row_for(a1.key, "carol", 0, "device_lists");
    CHECK_RC(sw_device_list_load_sealed(STORAGE_KEY, 32, &elsewhere, list_sealed, list_sealed_len,
                                        &l),
             SW_STATE_WRONG_ADDRESS);
    CHECK_RC(sw_device_sessions_load_sealed_legacy(STORAGE_KEY, 32, b_blob, b_len, &s),
             SW_STATE_ADDRESS_BOUND);
    CHECK_RC(sw_device_sessions_load(a_blob, 3, &s), SW_STATE_NOT_A_STATE_BLOB);
    CHECK_RC(sw_device_sessions_load(a_blob, a_len - 1, &s), SW_STATE_CORRUPTED);
    a_blob[a_len / 2] ^= 1;
    CHECK_RC(sw_device_sessions_load(a_blob, a_len, &s), SW_STATE_CORRUPTED);
    a_blob[a_len / 2] ^= 1;
    a_blob[5] = 3; /* a version from the future */
    CHECK_RC(sw_device_sessions_load(a_blob, a_len, &s), SW_STATE_UNSUPPORTED_VERSION);
    a_blob[5] = 2;
    b_blob[b_len - 1] ^= 1;
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &s),
             SW_STATE_CORRUPTED);
    b_blob[b_len - 1] ^= 1;
    list_plain[list_len / 2] ^= 0x10;
    CHECK_RC(sw_device_list_load(list_plain, list_len, &l), SW_STATE_CORRUPTED);
    list_plain[list_len / 2] ^= 0x10;
    CHECK(s == NULL && l == NULL && one == NULL);

    /* Hostile bytes: every truncation and a flipped bit in every byte of
     * each blob, and random bytes, into every loader: codes only. */
    expect_mutations_refused(list_plain, list_len, &bob_row, &list_row);
    expect_mutations_refused(list_sealed, list_sealed_len, &bob_row, &list_row);
    expect_mutations_refused(a_blob, a_len, &bob_row, &list_row);
    expect_mutations_refused(b_blob, b_len, &bob_row, &list_row);
    for (int round = 0; round < 300; round++) {
        uint8_t junk[512];
        size_t len = (size_t)(lcg() % sizeof junk) + 1;
        for (size_t i = 0; i < len; i++) {
            junk[i] = lcg();
        }
        if (round % 2 == 0 && len >= 6) {
            /* A plausible header: plain or sealed magic, a device kind, v1. */
            memcpy(junk, round % 4 == 0 ? "SWST" : "SWSB", 4);
            junk[4] = (uint8_t)(0x07 + (round / 2) % 2);
            junk[5] = 1;
        }
        expect_refused_everywhere(junk, len, &bob_row, &list_row);
    }

    /* Loaded: the same bytes when saved again (canonical). */
    OK(sw_device_list_load(list_plain, list_len, &bob_list));
    OK(sw_device_list_load_sealed(STORAGE_KEY, 32, &list_row, list_sealed, list_sealed_len, &l));
    uint8_t *again = NULL;
    size_t again_len = 0;
    SAVE(again, again_len, sw_device_list_save, l);
    CHECK(again_len == list_len && memcmp(again, list_plain, list_len) == 0);
    free(again);
    sw_device_list_free(l);
    OK(sw_device_sessions_load(a_blob, a_len, &a1_b1));
    OK(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &b1_a1));
    SAVE(again, again_len, sw_device_sessions_save, a1_b1);
    CHECK(again_len == a_len && memcmp(again, a_blob, a_len) == 0);
    free(again);

    /* The list kept the user, the device, the change waiting. */
    char user[8];
    OK(sw_device_list_user(bob_list, (uint8_t *)user, sizeof user, &count));
    CHECK(count == 3 && memcmp(user, "bob", 3) == 0);
    sw_device_identity who;
    bool found = false;
    OK(sw_device_list_identity(bob_list, 1, &who, &found));
    CHECK(found && who.has_announced);
    CHECK(memcmp(who.identity, b1.key, 32) == 0 && memcmp(who.announced, a1.key, 32) == 0);

    /* Bob's sessions kept the late message's key. */
    expect_text(b1_a1, &b1, a1.key, now, &late, "late");

    /* The fan-out over the loaded handles: stopped by the change waiting,
     * then, the device back at its held key, sent. */
    sw_device_sessions_entry bob_sessions[] = {{.device_id = 1, .sessions = a1_b1}};
    sw_recipient recipients[] = {{.devices = bob_list, .sessions = bob_sessions, .sessions_len = 1}};
    const sw_device_address me = {.user = text("alice"), .user_len = 5, .device_id = 1};
    sw_device_failure failure;
    sw_device_messages *msgs = NULL;
    CHECK_RC(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("x"), 1, &me,
                                    recipients, 1, &failure, &msgs),
             SW_DEVICE_UNCONFIRMED_IDENTITY);
    memcpy(entry.identity, b1.key, 32);
    OK(sw_device_list_update(bob_list, &entry, 1, events, SW_MAX_DEVICE_EVENTS, &count));
    CHECK(count == 0);
    OK(sw_encrypt_for_devices(a1.rng, now, SW_CONTENT_USER_MESSAGE, false, text("restored"), 8, &me,
                              recipients, 1, &failure, &msgs));
    take_message(msgs, 0, 0, 1, "bob", &m);
    sw_device_messages_free(msgs);
    expect_text(b1_a1, &b1, a1.key, now, &m, "restored");
    OK(sw_device_sessions_encrypt(b1.rng, b1_a1, now, a1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("welcome back"), 12, m.b, sizeof m.b, &m.len));
    expect_text(a1_b1, &a1, b1.key, now, &m, "welcome back");
    free(list_plain);
    free(list_sealed);
    free(a_blob);
    free(b_blob);

    /* The recovery times are saved too. Bob loses his sessions; his
     * request, saved and loaded, still counts against the interval. */
    sw_device_sessions_free(b1_a1);
    OK(sw_device_sessions_new(&b1_a1));
    msg_t lost;
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("lost"), 4, lost.b, sizeof lost.b, &lost.len));
    uint8_t request[SW_RECOVERY_REQUEST_LEN];
    size_t request_len = 0;
    OK(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now, lost.b, lost.len,
                                           request, sizeof request, &request_len));
    SAVE(b_blob, b_len, sw_device_sessions_save_sealed, b1.rng, b1_a1, STORAGE_KEY, 32, &bob_row);
    sw_device_sessions_free(b1_a1);
    OK(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &b1_a1));
    free(b_blob);
    uint8_t again_request[SW_RECOVERY_REQUEST_LEN];
    CHECK_RC(sw_device_sessions_recovery_request(b1_a1, b1.id, a1.key, 32, now + SECONDS(30),
                                                 lost.b, lost.len, again_request,
                                                 sizeof again_request, &request_len),
             SW_RECOVERY_TOO_MANY_REQUESTS);
    /* Alice grants the restart; saved and loaded, the session still does
     * not send, and the request is still known (a replay). */
    sw_recovery_action action = SW_RECOVERY_ACTION_NONE;
    uint32_t counter = 0;
    OK(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now, request,
                                                  sizeof request, &action, &counter));
    CHECK(action == SW_RECOVERY_ACTION_RESTART);
    SAVE(a_blob, a_len, sw_device_sessions_save, a1_b1);
    sw_device_sessions_free(a1_b1);
    OK(sw_device_sessions_load(a_blob, a_len, &a1_b1));
    free(a_blob);
    OK(sw_device_sessions_has_current(a1_b1, &flag));
    CHECK(!flag);
    OK(sw_device_sessions_previous_count(a1_b1, &count));
    CHECK(count == 1);
    CHECK_RC(sw_device_sessions_accept_recovery_request(a1_b1, a1.id, b1.key, 32, now, request,
                                                        sizeof request, &action, &counter),
             SW_RECOVERY_REPLAYED_REQUEST);
    /* A new session, and the conversation goes on. */
    bundle_len = bundle_of(&b1, bundle, sizeof bundle);
    OK(sw_device_sessions_initiate(a1.rng, a1_b1, a1.id, b1.key, 32, bundle, bundle_len));
    OK(sw_device_sessions_encrypt(a1.rng, a1_b1, now, b1.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("new session"), 11, m.b, sizeof m.b, &m.len));
    expect_text(b1_a1, &b1, a1.key, now, &m, "new session");

    sw_device_sessions_free(a1_b1);
    sw_device_sessions_free(b1_a1);
    sw_device_list_free(bob_list);
    device_free(&a1);
    device_free(&b1);
}

/* An app that kept one sw_session per peer device migrates: each session
 * blob (plain or sealed, either phase) loads as device sessions holding it
 * as the current session, and the conversation carries on. */
static void test_migration(void) {
    uint64_t now = T0 + SECONDS(7200);
    device_t a, b;
    device_new(&a, 31, false);
    device_new(&b, 32, false);
    uint8_t bundle_bytes[SW_MAX_BUNDLE_LEN];
    size_t bundle_len = bundle_of(&b, bundle_bytes, sizeof bundle_bytes);
    sw_bundle *bundle = NULL;
    OK(sw_bundle_parse(bundle_bytes, bundle_len, &bundle));
    sw_session *alice = NULL, *bob = NULL;
    OK(sw_session_initiate(a.rng, a.id, bundle, &alice));
    sw_bundle_free(bundle);
    msg_t m1, m2;
    OK(sw_session_encrypt(a.rng, alice, now, SW_CONTENT_USER_MESSAGE, text("one"), 3, m1.b,
                          sizeof m1.b, &m1.len));
    OK(sw_session_encrypt(a.rng, alice, now, SW_CONTENT_USER_MESSAGE, text("two"), 3, m2.b,
                          sizeof m2.b, &m2.len));
    uint8_t plain[4096];
    size_t n = 0;
    sw_received_info info;
    OK(sw_session_accept(b.id, b.prekeys, now, m1.b, m1.len, plain, sizeof plain, &n, &info,
                         &bob));
    CHECK(n == 3 && memcmp(plain, "one", 3) == 0);

    /* The old blobs: Alice's pending session plain (kind 0x04), Bob's
     * session sealed for his row of Alice's device (kind 0x03). */
    const sw_blob_address bob_row = row_for(b.key, "alice", 1, "sessions");
    uint8_t *a_blob = NULL, *b_blob = NULL;
    size_t a_len = 0, b_len = 0;
    SAVE(a_blob, a_len, sw_session_save, alice);
    SAVE(b_blob, b_len, sw_session_save_sealed, b.rng, bob, STORAGE_KEY, 32, &bob_row);
    CHECK(a_blob[4] == 0x04 && b_blob[4] == 0x03);
    sw_session_free(alice);
    sw_session_free(bob);

    /* Loaded as device sessions; a sealed one at its own row only. */
    sw_device_sessions *sa = NULL, *sb = NULL;
    OK(sw_device_sessions_load(a_blob, a_len, &sa));
    sw_blob_address elsewhere = bob_row;
    elsewhere.device_id = 2;
    CHECK_RC(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &elsewhere, b_blob, b_len, &sb),
             SW_STATE_WRONG_ADDRESS);
    CHECK_RC(sw_device_sessions_load_sealed_legacy(STORAGE_KEY, 32, b_blob, b_len, &sb),
             SW_STATE_ADDRESS_BOUND);
    CHECK(sb == NULL);
    OK(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &sb));
    free(a_blob);
    free(b_blob);
    bool flag = false;
    size_t count = 99;
    OK(sw_device_sessions_has_current(sa, &flag));
    CHECK(flag);
    OK(sw_device_sessions_is_established(sa, &flag));
    CHECK(!flag);
    OK(sw_device_sessions_previous_count(sa, &count));
    CHECK(count == 0);
    OK(sw_device_sessions_is_established(sb, &flag));
    CHECK(flag);
    OK(sw_device_sessions_their_identity(sb, plain, sizeof plain, &n));
    CHECK(n == 32 && memcmp(plain, a.key, 32) == 0);

    /* The conversation carries on: Alice's second prekey message, Bob's
     * reply, Alice again. */
    expect_text(sb, &b, a.key, now, &m2, "two");
    msg_t m;
    OK(sw_device_sessions_encrypt(b.rng, sb, now, a.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("reply"), 5, m.b, sizeof m.b, &m.len));
    expect_text(sa, &a, b.key, now, &m, "reply");
    OK(sw_device_sessions_is_established(sa, &flag));
    CHECK(flag);
    OK(sw_device_sessions_encrypt(a.rng, sa, now, b.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("migrated"), 8, m.b, sizeof m.b, &m.len));
    expect_text(sb, &b, a.key, now, &m, "migrated");

    /* Saved again: the device-sessions kind, at the same row. */
    SAVE(a_blob, a_len, sw_device_sessions_save, sa);
    SAVE(b_blob, b_len, sw_device_sessions_save_sealed, NULL, sb, STORAGE_KEY, 32, &bob_row);
    CHECK(a_blob[4] == 0x07 && b_blob[4] == 0x07);
    sw_session *one = NULL;
    CHECK_RC(sw_session_load(a_blob, a_len, &one), SW_STATE_WRONG_KIND);
    CHECK_RC(sw_session_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &one),
             SW_STATE_WRONG_KIND);
    CHECK(one == NULL);
    sw_device_sessions_free(sb);
    OK(sw_device_sessions_load_sealed(STORAGE_KEY, 32, &bob_row, b_blob, b_len, &sb));
    OK(sw_device_sessions_encrypt(a.rng, sa, now, b.key, 32, SW_CONTENT_USER_MESSAGE, false,
                                  text("and on"), 6, m.b, sizeof m.b, &m.len));
    expect_text(sb, &b, a.key, now, &m, "and on");
    free(a_blob);
    free(b_blob);

    sw_device_sessions_free(sa);
    sw_device_sessions_free(sb);
    device_free(&a);
    device_free(&b);
}

int main(void) {
    test_two_devices();
    test_saved_state();
    test_migration();
    printf("test_devices: %lu checks passed\n", checks_run);
    return 0;
}
