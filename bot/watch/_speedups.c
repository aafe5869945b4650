/* The matcher's hot loops in C, for every chat's own phrases (issue 14: 10,000 chats x 10 phrases within 1.5x of the
 * shipped lists alone). These are accelerators, not a second engine: each function has a Python twin that is the
 * reference and runs where this module was not built (bot/watch/speedups.py says which), and
 * tests/watch/test_speedups.py checks that both give the same results on the corpus and on generated text. Read the
 * Python first; the C does the same steps in the same order, without making a Python object for what the common case
 * does not need.
 *
 *   whole_words(text, cache, info, table, prefixes, found, typos[, next_bits])   twin: wordscan.whole_words_py
 *       (its typo windows are tested in C, window_hit: twin typos.Typos._window with rapidfuzz)
 *   plain_hits(found, simple, field, out)                           twin: plain.plain_hits_py
 *   pair_hits(text, bits, buckets, records, found)                  twin: pairs.pair_hits_py
 *   flagged(found, bits)                                            twin: match.flagged_py
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define CJK_START 0x2E80

/* A character of a Latin word: alphanumeric (str.isalnum) and below the CJK blocks; ASCII from a table. */
static unsigned char ascii_word[128];

static inline int
is_word(Py_UCS4 c)
{
    if (c < 128)
        return ascii_word[c];
    return c < CJK_START && Py_UNICODE_ISALNUM(c);
}

typedef struct {
    Py_ssize_t start, end;  /* the word's span in the text */
    int joined;             /* the separator before it is exactly one space or hyphen */
    int hyphen;             /* ... and it is a hyphen */
} Span;

static PyObject *hyphen_str, *space_str;

static PyObject *exact_score;  /* 100.0: the score of every exact hit, one object */
static PyObject *empty_tuple;  /* (): the close words of a word close to none */

static PyObject *
hit(Py_ssize_t start, Py_ssize_t end)
{
    PyObject *a = PyLong_FromSsize_t(start), *b = PyLong_FromSsize_t(end);
    PyObject *occ = a && b ? PyTuple_Pack(3, a, b, exact_score) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return occ;
}

/* The words first..last of the text joined by single spaces: the text itself between them when every separator is
 * one space, else with each separator (a space or a hyphen: words hold no hyphen) as a space. */
static PyObject *
phrase_of(PyObject *text, const Span *spans, Py_ssize_t first, Py_ssize_t last)
{
    PyObject *key = PyUnicode_Substring(text, spans[first].start, spans[last].end);
    if (key == NULL)
        return NULL;
    int hyphen = 0;
    for (Py_ssize_t k = first + 1; k <= last; k++)
        hyphen |= spans[k].hyphen;
    if (!hyphen)
        return key;
    PyObject *spaced = PyUnicode_Replace(key, hyphen_str, space_str, -1);
    Py_DECREF(key);
    return spaced;
}

/* found.setdefault(slot, []): the slot's list of hits (borrowed: found holds it), or NULL with an error set */
static PyObject *
hits_of(PyObject *found, PyObject *slot)
{
    PyObject *list = PyDict_GetItemWithError(found, slot);
    if (list != NULL || PyErr_Occurred())
        return list;
    list = PyList_New(0);
    if (list == NULL)
        return NULL;
    int failed = PyDict_SetItem(found, slot, list);
    Py_DECREF(list);  /* the dict holds it */
    return failed ? NULL : list;
}

/* found.setdefault(slot, []).append((start, end, 100.0)) */
static int
record_one(PyObject *found, PyObject *slot, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *list = hits_of(found, slot);
    if (list == NULL)
        return -1;
    PyObject *occ = hit(start, end);
    if (occ == NULL)
        return -1;
    int failed = PyList_Append(list, occ);
    Py_DECREF(occ);
    return failed;
}

/* record_one for each slot of `slots` (a tuple or a list) */
static int
record(PyObject *found, PyObject *slots, Py_ssize_t start, Py_ssize_t end)
{
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(slots); k++)
        if (record_one(found, PySequence_Fast_GET_ITEM(slots, k), start, end) < 0)
            return -1;
    return 0;
}

/* record_one for each of the `n` slots packed at `slots` (C ints: bot/watch/packed.py), each slot's int made anew:
 * the slots' own int objects would be read from all over the heap. */
static int
record_packed(PyObject *found, const int *slots, Py_ssize_t n, Py_ssize_t start, Py_ssize_t end)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *slot = PyLong_FromLong(slots[k]);
        if (slot == NULL)
            return -1;
        int failed = record_one(found, slot, start, end);
        Py_DECREF(slot);
        if (failed < 0)
            return -1;
    }
    return 0;
}

/* The hits of the phrase `key` when `table` has it (its slots: a list or a tuple). */
static int
record_key(PyObject *table, PyObject *key, PyObject *found, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *slots = PyDict_GetItemWithError(table, key);
    if (slots == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyList_Check(slots) && !PyTuple_Check(slots)) {
        PyErr_SetString(PyExc_TypeError, "whole_words: a phrase's slots are a list or a tuple");
        return -1;
    }
    return record(found, slots, start, end);
}

/* typos._add: record a typo hit (start, end, score) in found[slot] unless the slot already has a hit starting there;
 * the slot's hits stay sorted. */
static int
add_typo(PyObject *found, PyObject *slot, PyObject *start, PyObject *end, PyObject *score)
{
    PyObject *hits = hits_of(found, slot);
    if (hits == NULL)
        return -1;
    if (!PyList_Check(hits)) {
        PyErr_SetString(PyExc_TypeError, "typo hits: found[slot] is a list");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(hits);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *h = PyList_GET_ITEM(hits, k);
        if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) < 1)
            continue;
        int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(h, 0), start, Py_EQ);
        if (same < 0)
            return -1;
        if (same)
            return 0;
    }
    PyObject *occ = PyTuple_Pack(3, start, end, score);
    if (occ == NULL)
        return -1;
    int failed = PyList_Append(hits, occ);
    Py_DECREF(occ);
    if (failed)
        return -1;
    return n ? PyList_Sort(hits) : 0;
}

/* What the typo hits of one text read and write: typos.typo_hits's arguments. `ends` (where each part of the split
 * text ends) is made from `spans` when a window first needs it. */
typedef struct {
    PyObject *found, *words, *near, *similar, *window, *another;
    PyObject *infos;  /* each word's info (slots, nexts, typo): its typo part is false where it is close to none */
    PyObject *ends;  /* made when first needed (most texts never need it) */
    const Span *spans;
    Py_ssize_t n, length;
} Typing;

static PyObject *
ends_of(Typing *t)
{
    if (t->ends != NULL)
        return t->ends;
    PyObject *ends = PyList_New(2 * t->n + 1);
    if (ends == NULL)
        return NULL;
    for (Py_ssize_t w = 0; w <= 2 * t->n; w++) {
        Py_ssize_t at = w == 2 * t->n ? t->length : w % 2 ? t->spans[w / 2].end : t->spans[w / 2].start;
        PyObject *v = PyLong_FromSsize_t(at);
        if (v == NULL) {
            Py_DECREF(ends);
            return NULL;
        }
        PyList_SET_ITEM(ends, w, v);
    }
    t->ends = ends;
    return ends;
}

/* Typos._window's test, in C: whether the window of the phrase `win` (a typos._Window: slot, anchor, words, phrase,
 * threshold) that the close word j anchors is a typo hit, recorded as Typos._window records it. Called from C for
 * every window a text's close words file (0.27 an item on the bench's broad chats), this costs a fraction of a call
 * into Python and rapidfuzz, whose code and objects are cold by then. Similarity is rapidfuzz's Indel normalized
 * similarity, 1 - (len(a) + len(b) - 2 LCS(a, b)) / (len(a) + len(b)), the longest common subsequence counted
 * bit-parallel (Hyyro 2004) over at most 64 characters; fuzz.ratio is that times 100, 0 below its cutoff
 * (tests/watch/test_speedups.py checks both against rapidfuzz). Returns 1 where a string is longer than 64 characters
 * (the caller asks Typos._window then), else 0, or -1 on an error. */

#define LCS_MAX 64
#define MIN_FUZZY_LETTERS 6  /* typos.MIN_FUZZY_LETTERS: shorter phrase words must be equal */

static PyObject *round_str, *one_digit;  /* "__round__", 1: round(score, 1) as Python rounds it */

/* The characters of `s` (at most LCS_MAX) into `out` from `at`; returns how many. */
static Py_ssize_t
chars_into(PyObject *s, Py_UCS4 *out, Py_ssize_t at)
{
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; i++)
        out[at + i] = PyUnicode_READ(kind, data, i);
    return n;
}

/* rapidfuzz's Indel.normalized_similarity of a (m <= 64 characters) and b. */
static double
indel_similarity(const Py_UCS4 *a, Py_ssize_t m, const Py_UCS4 *b, Py_ssize_t n)
{
    if (m + n == 0)
        return 1.0;
    uint64_t v = ~(uint64_t)0;
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t match = 0;
        for (Py_ssize_t i = 0; i < m; i++)
            match |= (uint64_t)(a[i] == b[j]) << i;
        uint64_t u = v & match;
        v = (v + u) | (v - u);
    }
    uint64_t common = ~v & (m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1));
    Py_ssize_t lcs = 0;
    for (; common; common &= common - 1)
        lcs++;
    return 1.0 - (double)(m + n - 2 * lcs) / (double)(m + n);
}

static int
window_hit(Typing *t, Py_ssize_t j, PyObject *win)
{
    if (!PyTuple_Check(win) || PyTuple_GET_SIZE(win) != 5 || !PyTuple_Check(PyTuple_GET_ITEM(win, 2))
            || !PyUnicode_Check(PyTuple_GET_ITEM(win, 3))) {
        PyErr_SetString(PyExc_TypeError, "typo hits: a window is a typos._Window (slot, anchor, words, phrase, "
                                         "threshold)");
        return -1;
    }
    PyObject *slot = PyTuple_GET_ITEM(win, 0), *words = PyTuple_GET_ITEM(win, 2), *phrase = PyTuple_GET_ITEM(win, 3);
    Py_ssize_t anchor = PyLong_AsSsize_t(PyTuple_GET_ITEM(win, 1));
    long threshold = PyLong_AsLong(PyTuple_GET_ITEM(win, 4));
    if ((anchor == -1 || threshold == -1) && PyErr_Occurred())
        return -1;
    Py_ssize_t count = PyTuple_GET_SIZE(words), first = j - anchor, last = first + count;
    if (first < 0 || last > t->n)
        return 0;
    Py_ssize_t joined = count - 1;  /* (the spaces) */
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *p = PyTuple_GET_ITEM(words, k), *u = PyList_GET_ITEM(t->words, first + k);
        if (!PyUnicode_Check(p)) {
            PyErr_SetString(PyExc_TypeError, "typo hits: a window's words are str");
            return -1;
        }
        if (PyUnicode_GET_LENGTH(p) > LCS_MAX || PyUnicode_GET_LENGTH(u) > LCS_MAX)
            return 1;
        joined += PyUnicode_GET_LENGTH(u);
    }
    if (joined > LCS_MAX || PyUnicode_GET_LENGTH(phrase) > LCS_MAX)
        return 1;
    /* typos._words_close: short phrase words equal to the window's, each long one at least `threshold` similar */
    Py_UCS4 text[LCS_MAX], word[LCS_MAX];
    Py_ssize_t at = 0;
    double slack = 1.0 - (double)threshold / 100.0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *p = PyTuple_GET_ITEM(words, k), *u = PyList_GET_ITEM(t->words, first + k);
        if (k)
            text[at++] = ' ';
        Py_ssize_t lu = chars_into(u, text, at), lp = PyUnicode_GET_LENGTH(p);
        at += lu;
        if (p == u || (lp == lu && PyUnicode_Compare(p, u) == 0))
            continue;
        Py_ssize_t gap = lp > lu ? lp - lu : lu - lp;
        if (lp < MIN_FUZZY_LETTERS || (double)gap > slack * (double)(lp + lu))
            return 0;
        chars_into(p, word, 0);
        if (indel_similarity(word, lp, text + at - lu, lu) * 100 < (double)threshold)
            return 0;
        /* typos.another_word, called in Python: the word list lives there (a few calls an item at most) */
        PyObject *other = PyObject_CallFunctionObjArgs(t->another, p, u, NULL);
        int is_other = other ? PyObject_IsTrue(other) : -1;
        Py_XDECREF(other);
        if (is_other)
            return is_other < 0 ? -1 : 0;
    }
    Py_ssize_t lp = chars_into(phrase, word, 0);
    if (lp == at && memcmp(word, text, (size_t)at * sizeof(Py_UCS4)) == 0)
        return 0;  /* (the exact hit the word pass records) */
    double similarity = indel_similarity(word, lp, text, at);
    if (similarity < (double)threshold / 100.0 || similarity * 100 == 0.0)
        return 0;  /* (fuzz.ratio's cutoff) */
    PyObject *ends = ends_of(t), *score = ends ? PyFloat_FromDouble(similarity * 100) : NULL;
    PyObject *rounded = score ? PyObject_CallMethodObjArgs(score, round_str, one_digit, NULL) : NULL;
    int failed = rounded == NULL || add_typo(t->found, slot, PyList_GET_ITEM(ends, 2 * first),
                                             PyList_GET_ITEM(ends, 2 * last - 1), rounded) < 0;
    Py_XDECREF(score);
    Py_XDECREF(rounded);
    return failed ? -1 : 0;
}

/* The typo hits anchored on word j, close to a phrase word (`typo`: its (singles, keyed_by)): typos.typo_hits's
 * loop body. `start`, `end`: the word's span. */
static int
typo_word(Typing *t, Py_ssize_t j, PyObject *typo, PyObject *start, PyObject *end)
{
    if (!PyTuple_Check(typo) || PyTuple_GET_SIZE(typo) != 2) {
        PyErr_SetString(PyExc_TypeError, "typo hits: a close word's typo info is (singles, keyed_by)");
        return -1;
    }
    PyObject *singles = PyTuple_GET_ITEM(typo, 0), *keyed_by = PyTuple_GET_ITEM(typo, 1);
    if (!PyBytes_Check(singles) || PyBytes_GET_SIZE(singles) % (2 * sizeof(int)) || !PyTuple_Check(keyed_by)) {
        PyErr_SetString(PyExc_TypeError, "typo hits: singles are packed (slot, tenths) pairs, keyed_by a tuple");
        return -1;
    }
    const int *single = (const int *)PyBytes_AS_STRING(singles);
    for (Py_ssize_t k = 0; k < PyBytes_GET_SIZE(singles) / (Py_ssize_t)sizeof(int); k += 2) {  /* one-word phrases */
        PyObject *slot = PyLong_FromLong(single[k]), *score = PyFloat_FromDouble(single[k + 1] / 10.0);
        int failed = slot == NULL || score == NULL || add_typo(t->found, slot, start, end, score) < 0;
        Py_XDECREF(slot);
        Py_XDECREF(score);
        if (failed)
            return -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keyed_by); k++) {  /* longer phrases, filed by offset and word */
        PyObject *pair = PyTuple_GET_ITEM(keyed_by, k);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyDict_Check(PyTuple_GET_ITEM(pair, 1))) {
            PyErr_SetString(PyExc_TypeError, "typo hits: keyed_by holds (offset, dict)");
            return -1;
        }
        Py_ssize_t offset = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0));
        if (offset == -1 && PyErr_Occurred())
            return -1;
        Py_ssize_t at = j + offset;
        if (at < 0 || at >= t->n)
            continue;
        PyObject *keyed = PyTuple_GET_ITEM(pair, 1), *u = PyList_GET_ITEM(t->words, at);
        /* A word whose own typo info is false is close to no phrase word: only the word itself is looked up (no read
         * of the large cache of close words, as typos.typo_hits). */
        int u_close = PyObject_IsTrue(PyTuple_GET_ITEM(PyList_GET_ITEM(t->infos, at), 2));
        if (u_close < 0)
            return -1;
        PyObject *others = u_close ? PyDict_GetItemWithError(t->near, u) : empty_tuple;
        if (others != NULL) {
            Py_INCREF(others);
        } else {
            if (PyErr_Occurred())
                return -1;
            others = PyObject_CallOneArg(t->similar, u);
            if (others == NULL)
                return -1;
        }
        if (!PyTuple_Check(others)) {
            Py_DECREF(others);
            PyErr_SetString(PyExc_TypeError, "typo hits: close words are a tuple");
            return -1;
        }
        for (Py_ssize_t m = -1; m < PyTuple_GET_SIZE(others); m++) {
            PyObject *windows = PyDict_GetItemWithError(keyed, m < 0 ? u : PyTuple_GET_ITEM(others, m));
            if (windows == NULL) {
                if (PyErr_Occurred())
                    goto failed;
                continue;
            }
            if (!PyList_Check(windows)) {
                PyErr_SetString(PyExc_TypeError, "typo hits: windows are a list");
                goto failed;
            }
            Py_INCREF(windows);  /* (held across the calls into Python below) */
            for (Py_ssize_t w = 0; w < PyList_GET_SIZE(windows); w++) {
                PyObject *win = Py_NewRef(PyList_GET_ITEM(windows, w));
                int tested = window_hit(t, j, win);
                if (tested == 1) {  /* a string past LCS_MAX: Typos._window tests it */
                    PyObject *ends = ends_of(t), *index = ends ? PyLong_FromSsize_t(j) : NULL;
                    PyObject *done = index == NULL ? NULL :
                        PyObject_CallFunctionObjArgs(t->window, t->found, t->words, ends, index, win, NULL);
                    Py_XDECREF(index);
                    tested = done == NULL ? -1 : 0;
                    Py_XDECREF(done);
                }
                Py_DECREF(win);
                if (tested < 0) {
                    Py_DECREF(windows);
                    goto failed;
                }
            }
            Py_DECREF(windows);
        }
        Py_DECREF(others);
        continue;
    failed:
        Py_DECREF(others);
        return -1;
    }
    return 0;
}

/* whole_words(text, cache, info, table, prefixes, found, typos[, next_bits]) -> None
 *
 * Scanner.scan's word pass (wordscan.py). A word is a run of characters below U+2E80 that are alphanumeric (WORD in
 * text.py: [^\W_\u2e80-...]). Each word's info is cache[word], or info(word) when it is not cached: (slots of the
 * one-word phrases it is, packed as C ints in bytes: bot/watch/packed.py, dict of the words that may follow it in a
 * longer phrase, typo info: false for most words). A one-word phrase's hit is appended to found[slot] as (start, end,
 * 100.0); a longer phrase is walked from a word whose next word may follow it (the word's info maps that next word to
 * packed ints: whether a longer phrase starts with the two words, then their slots as a phrase), then while the words
 * are joined by one space or hyphen and the sequence is a key of `table` (its slots) and, to go on, of `prefixes`.
 * Then the typo hits anchored on the words close to a phrase word, as typos.typo_hits records them (a close word's
 * one-word phrases packed as slot, score in tenths): `typos` is (near, similar, window, another), what Typos.hits passes
 * on.
 * `next_bits` (wordscan.next_bitmap): the bitmap of the word pairs that begin a longer phrase, by the words' hashes,
 * read before a word's next words are (most pairs of text words begin none, and with every chat's phrases the next
 * words' dict is likely a cache miss); without it every pair is looked up.
 */
static PyObject *
whole_words(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7 && nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "whole_words(text, cache, info, table, prefixes, found, typos[, next_bits])");
        return NULL;
    }
    PyObject *text = args[0], *cache = args[1], *info_fn = args[2], *table = args[3], *prefixes = args[4],
             *found = args[5], *typing = args[6];
    if (!PyUnicode_Check(text) || !PyDict_Check(cache) || !PyDict_Check(table) || !PyAnySet_Check(prefixes) ||
        !PyDict_Check(found) || !PyTuple_Check(typing) || PyTuple_GET_SIZE(typing) != 4 ||
        !PyDict_Check(PyTuple_GET_ITEM(typing, 0))) {
        PyErr_SetString(PyExc_TypeError, "whole_words: text str, cache dict, table dict, prefixes set, found dict, "
                                         "typos (near dict, similar, window, another)");
        return NULL;
    }
    /* The next words' bitmap: a power of two bytes; `shift` takes a 64-bit mix down to a bit's index. */
    const unsigned char *next_bits = NULL;
    int shift = 64;
    if (nargs == 8) {
        Py_ssize_t size = PyBytes_Check(args[7]) ? PyBytes_GET_SIZE(args[7]) : 0;
        if (size < 1 || (size & (size - 1))) {
            PyErr_SetString(PyExc_TypeError, "whole_words: next_bits are bytes, a power of two of them");
            return NULL;
        }
        next_bits = (const unsigned char *)PyBytes_AS_STRING(args[7]);
        for (Py_ssize_t bits = size * 8; bits > 1; bits >>= 1)
            shift--;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);

    /* The words' spans. */
    Py_ssize_t cap = length / 2 + 1, n = 0;
    Span *spans = PyMem_Malloc(cap * sizeof(Span));
    if (spans == NULL)
        return PyErr_NoMemory();
    Py_ssize_t i = 0, last_end = 0;
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!is_word(c)) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < length && is_word(PyUnicode_READ(kind, data, i)))
            i++;
        Py_UCS4 sep = start > 0 ? PyUnicode_READ(kind, data, start - 1) : 0;
        spans[n].start = start;
        spans[n].end = i;
        spans[n].joined = n > 0 && start - last_end == 1 && (sep == ' ' || sep == '-');
        spans[n].hyphen = spans[n].joined && sep == '-';
        last_end = i;
        n++;
    }

    PyObject *words = PyList_New(n), *infos = PyList_New(n), *result = NULL;
    if (words == NULL || infos == NULL)
        goto done;
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *word = PyUnicode_Substring(text, spans[w].start, spans[w].end);
        if (word == NULL)
            goto done;
        PyList_SET_ITEM(words, w, word);
        PyObject *info = PyDict_GetItemWithError(cache, word);
        if (info != NULL) {
            Py_INCREF(info);
        } else {
            if (PyErr_Occurred())
                goto done;
            info = PyObject_CallOneArg(info_fn, word);
            if (info == NULL)
                goto done;
        }
        if (!PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 3 || !PyBytes_Check(PyTuple_GET_ITEM(info, 0)) ||
            PyBytes_GET_SIZE(PyTuple_GET_ITEM(info, 0)) % sizeof(int)) {
            Py_DECREF(info);
            PyErr_SetString(PyExc_TypeError, "whole_words: a word's info is (packed slots, next words, typo)");
            goto done;
        }
        PyList_SET_ITEM(infos, w, info);
    }

    /* One-word phrases, then longer ones, as scan.py's _whole: the same order of hits in each slot's list. */
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *slots = PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 0);
        if (PyBytes_GET_SIZE(slots) && record_packed(found, (const int *)PyBytes_AS_STRING(slots),
                                                     PyBytes_GET_SIZE(slots) / sizeof(int), spans[w].start,
                                                     spans[w].end) < 0)
            goto done;
    }
    for (Py_ssize_t w = 0; w + 1 < n; w++) {
        PyObject *nexts = PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 1);
        if (!spans[w + 1].joined || !PyDict_Check(nexts) || PyDict_GET_SIZE(nexts) == 0)
            continue;
        if (next_bits != NULL) {  /* wordscan.next_bit: the words' hashes are cached in the strings */
            Py_hash_t a = PyObject_Hash(PyList_GET_ITEM(words, w)), b = PyObject_Hash(PyList_GET_ITEM(words, w + 1));
            if (a == -1 || b == -1)
                goto done;
            uint64_t bit = ((uint64_t)a * 0x9E3779B97F4A7C15u ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Fu) >> shift;
            if (!(next_bits[bit >> 3] & (1u << (bit & 7))))
                continue;
        }
        /* The next word's packed (whether a longer phrase starts with the two words, then their slots as a phrase):
         * borrowed, held by the word's info (infos holds that). */
        PyObject *next = PyDict_GetItemWithError(nexts, PyList_GET_ITEM(words, w + 1));
        if (next == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        if (!PyBytes_Check(next) || PyBytes_GET_SIZE(next) < (Py_ssize_t)sizeof(int) ||
            PyBytes_GET_SIZE(next) % sizeof(int)) {
            PyErr_SetString(PyExc_TypeError, "whole_words: a next word's entry is packed (longer, *slots)");
            goto done;
        }
        const int *packed = (const int *)PyBytes_AS_STRING(next);
        if (record_packed(found, packed + 1, PyBytes_GET_SIZE(next) / sizeof(int) - 1, spans[w].start,
                          spans[w + 1].end) < 0)
            goto done;
        int longer = packed[0] != 0;
        /* Three words and more: the key as scan.py builds it, the words joined by single spaces (a hyphen in the text
         * reads as a space), looked up in `table` while it is in `prefixes`. */
        for (Py_ssize_t j = w + 1; longer && j + 1 < n && spans[j + 1].joined;) {
            j++;
            PyObject *key = phrase_of(text, spans, w, j);
            if (key == NULL)
                goto done;
            if (record_key(table, key, found, spans[w].start, spans[j].end) < 0) {
                Py_DECREF(key);
                goto done;
            }
            longer = PySet_Contains(prefixes, key);
            Py_DECREF(key);
            if (longer < 0)
                goto done;
        }
    }

    /* The typo hits anchored on the words close to a long phrase word (most words are close to none). */
    Typing t = {found, words, PyTuple_GET_ITEM(typing, 0), PyTuple_GET_ITEM(typing, 1), PyTuple_GET_ITEM(typing, 2),
                PyTuple_GET_ITEM(typing, 3), infos, NULL, spans, n, length};
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *typo = PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 2);
        int truth = PyObject_IsTrue(typo);
        if (truth < 0)
            goto typed;
        if (!truth)
            continue;
        PyObject *start = PyLong_FromSsize_t(spans[w].start), *end = PyLong_FromSsize_t(spans[w].end);
        int failed = start == NULL || end == NULL || typo_word(&t, w, typo, start, end) < 0;
        Py_XDECREF(start);
        Py_XDECREF(end);
        if (failed)
            goto typed;
    }
    result = Py_NewRef(Py_None);
typed:
    Py_XDECREF(t.ends);

done:
    PyMem_Free(spans);
    Py_XDECREF(words);
    Py_XDECREF(infos);
    return result;
}

/* plain_hits(found, simple, field, out) -> list of the other slots found
 *
 * PlainLists.find's loop over one field's found slots (plain.py, where the Python twin is): for each simple slot
 * (simple[slot], a list: (phrase as written, indexes of the lists holding it), or None) append (that pair, field,
 * first occurrence) to `out`; the other slots are returned, in the order found, for the general loop.
 */
static PyObject *
plain_hits(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyDict_Check(args[0]) || !PyList_Check(args[1]) || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "plain_hits(found dict, simple list, field, out list)");
        return NULL;
    }
    PyObject *found = args[0], *simple = args[1], *field = args[2], *out = args[3];
    PyObject *others = PyList_New(0);
    if (others == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *slot, *occurrences;
    while (PyDict_Next(found, &pos, &slot, &occurrences)) {
        Py_ssize_t at = PyLong_AsSsize_t(slot);
        if (at == -1 && PyErr_Occurred())
            goto failed;
        PyObject *entry = at >= 0 && at < PyList_GET_SIZE(simple) ? PyList_GET_ITEM(simple, at) : Py_None;
        if (entry == Py_None) {
            if (PyList_Append(others, slot) < 0)
                goto failed;
            continue;
        }
        if (!PyList_Check(occurrences) || PyList_GET_SIZE(occurrences) == 0) {
            PyErr_SetString(PyExc_TypeError, "plain_hits: found[slot] is a list of occurrences");
            goto failed;
        }
        PyObject *hit = PyTuple_Pack(3, entry, field, PyList_GET_ITEM(occurrences, 0));
        if (hit == NULL)
            goto failed;
        int appended = PyList_Append(out, hit);
        Py_DECREF(hit);
        if (appended < 0)
            goto failed;
    }
    return others;

failed:
    Py_DECREF(others);
    return NULL;
}

/* pair_hits(text, bits, buckets, records, found) -> None: pairs.pair_hits_py. `bits`: the bitmap of the pairs filed
 * (bytes of 2**PAIR_BITS bits); `buckets`: a power of two of them, each two 64-bit ints: the pair's key (a << 21 | b;
 * 0: empty), then (start << 32) | count, its phrases' records from the start-th int of `records` on; a record: C ints,
 * the phrase's slot, its length, then its characters from the third on (pairs.Filed). */
#define PAIR_BITS 19

static PyObject *
pair_hits(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyUnicode_Check(args[0]) || !PyBytes_Check(args[1]) || !PyBytes_Check(args[2]) ||
        !PyBytes_Check(args[3]) || !PyDict_Check(args[4]) || PyBytes_GET_SIZE(args[1]) != (1 << (PAIR_BITS - 3))) {
        PyErr_SetString(PyExc_TypeError, "pair_hits(text str, bits bytes of 2**19 bits, buckets bytes, records bytes, "
                                         "found dict)");
        return NULL;
    }
    PyObject *text = args[0], *found = args[4];
    const unsigned char *bits = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[2]) / 16, ints = PyBytes_GET_SIZE(args[3]) / (Py_ssize_t)sizeof(int);
    if (size < 1 || (size & (size - 1)) || PyBytes_GET_SIZE(args[2]) % 16 || PyBytes_GET_SIZE(args[3]) % sizeof(int)) {
        PyErr_SetString(PyExc_TypeError, "pair_hits: buckets are a power of two of 16 bytes, records C ints");
        return NULL;
    }
    const uint64_t *table = (const uint64_t *)PyBytes_AS_STRING(args[2]);
    const int *records = (const int *)PyBytes_AS_STRING(args[3]);
    int shift = 32;
    for (Py_ssize_t k = size; k > 1; k >>= 1)
        shift--;
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND)
        Py_RETURN_NONE;  /* no character from U+2E80 on */
    for (Py_ssize_t i = 0; i + 1 < length; i++) {
        Py_UCS4 a = PyUnicode_READ(kind, data, i), b = PyUnicode_READ(kind, data, i + 1);
        if (a < CJK_START || b < CJK_START)
            continue;
        uint32_t mixed = (uint32_t)a * 0x9E3779B1u ^ (uint32_t)b * 0x85EBCA6Bu, bit = mixed >> (32 - PAIR_BITS);
        if (!(bits[bit >> 3] & (1u << (bit & 7))))
            continue;
        uint64_t key = ((uint64_t)a << 21) | b;
        Py_ssize_t at = shift >= 32 ? 0 : (Py_ssize_t)(mixed >> shift), probes = 0;
        while (table[2 * at] != key && table[2 * at] != 0 && ++probes < size)
            at = (at + 1) & (size - 1);
        if (table[2 * at] != key)
            continue;
        Py_ssize_t start = (Py_ssize_t)(table[2 * at + 1] >> 32), count = (Py_ssize_t)(table[2 * at + 1] & 0xFFFFFFFFu);
        for (Py_ssize_t c = 0; c < count; c++) {
            if (start + 2 > ints || records[start + 1] < 2 || start + records[start + 1] > ints) {
                PyErr_SetString(PyExc_TypeError, "pair_hits: a pair's records are cut short");
                return NULL;
            }
            Py_ssize_t n = records[start + 1], k = 2;
            if (i + n <= length)
                while (k < n && PyUnicode_READ(kind, data, i + k) == (Py_UCS4)records[start + k])
                    k++;
            if (k == n && i + n <= length && record_packed(found, records + start, 1, i, i + n) < 0)
                return NULL;
            start += n;
        }
    }
    Py_RETURN_NONE;
}

/* flagged(found, bits) -> list of the slots of `found` whose bit is set in `bits` (bytes: bit s & 7 of byte s >> 3),
 * in the order found: match.flagged_py (the few slots the general watchlists read, among every chat's). */
static PyObject *
flagged(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_Check(args[0]) || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "flagged(found dict, bits bytes)");
        return NULL;
    }
    const unsigned char *bits = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[1]);
    PyObject *out = PyList_New(0), *slot, *value;
    if (out == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    while (PyDict_Next(args[0], &pos, &slot, &value)) {
        Py_ssize_t at = PyLong_AsSsize_t(slot);
        if (at == -1 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
        if (at >= 0 && (at >> 3) < size && bits[at >> 3] & (1u << (at & 7)) && PyList_Append(out, slot) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef methods[] = {
    {"whole_words", (PyCFunction)(void (*)(void))whole_words, METH_FASTCALL,
     "whole_words(text, cache, info, table, prefixes, found, typos[, next_bits]): see bot/watch/wordscan.py"},
    {"plain_hits", (PyCFunction)(void (*)(void))plain_hits, METH_FASTCALL,
     "plain_hits(found, simple, field, out): see bot/watch/plain.py"},
    {"pair_hits", (PyCFunction)(void (*)(void))pair_hits, METH_FASTCALL,
     "pair_hits(text, bits, buckets, records, found): see bot/watch/pairs.py"},
    {"flagged", (PyCFunction)(void (*)(void))flagged, METH_FASTCALL,
     "flagged(found, bits): see bot/watch/match.py"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "bot.watch._speedups", "The matcher's hot loops in C (see bot/watch/speedups.py).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    exact_score = PyFloat_FromDouble(100.0);
    empty_tuple = PyTuple_New(0);
    hyphen_str = PyUnicode_InternFromString("-");
    space_str = PyUnicode_InternFromString(" ");
    round_str = PyUnicode_InternFromString("__round__");
    one_digit = PyLong_FromLong(1);
    if (exact_score == NULL || empty_tuple == NULL || hyphen_str == NULL || space_str == NULL || round_str == NULL
            || one_digit == NULL)
        return NULL;
    for (int c = 0; c < 128; c++)
        ascii_word[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return PyModule_Create(&module);
}
