/* The matcher's hot loops in C, for every chat's own phrases (issue 14: 10,000 chats x 10 phrases within 1.5x of the
 * shipped lists alone). These are accelerators, not a second engine: each function has a Python twin that is the
 * reference and runs where this module was not built (bot/watch/speedups.py says which), and
 * tests/watch/test_speedups.py checks that both give the same results on the corpus and on generated text. Read the
 * Python first; the C does the same steps in the same order, without making a Python object for what the common case
 * does not need.
 *
 *   whole_words(text, cache, info, table, prefixes, found)   twin: wordscan.whole_words_py
 *   plain_hits(found, simple, field, out)                    twin: plain.plain_hits_py
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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
} Span;

static PyObject *
hit(Py_ssize_t start, Py_ssize_t end)
{
    return Py_BuildValue("(nnd)", start, end, 100.0);
}

/* found.setdefault(slot, []).append((start, end, 100.0)) for each slot of `slots` (a tuple or a list) */
static int
record(PyObject *found, PyObject *slots, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(slots);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *slot = PySequence_Fast_GET_ITEM(slots, k);
        PyObject *list = PyDict_GetItemWithError(found, slot);
        if (list == NULL) {
            if (PyErr_Occurred())
                return -1;
            list = PyList_New(0);
            if (list == NULL)
                return -1;
            int failed = PyDict_SetItem(found, slot, list);
            Py_DECREF(list);  /* the dict holds it */
            if (failed)
                return -1;
        }
        PyObject *occ = hit(start, end);
        if (occ == NULL)
            return -1;
        int failed = PyList_Append(list, occ);
        Py_DECREF(occ);
        if (failed)
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

/* whole_words(text, cache, info, table, prefixes, found) -> None | (words, typos, close, ends)
 *
 * Scanner.scan's word pass (wordscan.py). A word is a run of characters below U+2E80 that are alphanumeric (WORD in
 * text.py: [^\W_\u2e80-...]). Each word's info is cache[word], or info(word) when it is not cached: (slots of the
 * one-word phrases it is, frozenset of the words that may follow it in a longer phrase, typo info: false for most
 * words). A one-word phrase's hit is appended to found[slot] as (start, end, 100.0); a longer phrase is walked from a
 * word whose next word may follow it, while the words are joined by one space or hyphen and the sequence is a key of
 * `table` (its slots) or of `prefixes`. None when no word is close to a phrase word, else what Typos.hits reads.
 */
static PyObject *
whole_words(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "whole_words(text, cache, info, table, prefixes, found)");
        return NULL;
    }
    PyObject *text = args[0], *cache = args[1], *info_fn = args[2], *table = args[3], *prefixes = args[4],
             *found = args[5];
    if (!PyUnicode_Check(text) || !PyDict_Check(cache) || !PyDict_Check(table) || !PyAnySet_Check(prefixes) ||
        !PyDict_Check(found)) {
        PyErr_SetString(PyExc_TypeError, "whole_words: text str, cache dict, table dict, prefixes set, found dict");
        return NULL;
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
        last_end = i;
        n++;
    }

    PyObject *words = PyList_New(n), *infos = PyList_New(n), *result = NULL, *close = NULL;
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
        if (!PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 3 || !PyTuple_Check(PyTuple_GET_ITEM(info, 0))) {
            Py_DECREF(info);
            PyErr_SetString(PyExc_TypeError, "whole_words: a word's info is (slots tuple, next words, typo)");
            goto done;
        }
        PyList_SET_ITEM(infos, w, info);
    }

    /* One-word phrases, then longer ones, as scan.py's _whole: the same order of hits in each slot's list. */
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *slots = PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 0);
        if (PyTuple_GET_SIZE(slots) && record(found, slots, spans[w].start, spans[w].end) < 0)
            goto done;
    }
    for (Py_ssize_t w = 0; w + 1 < n; w++) {
        PyObject *nexts = PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 1);
        if (!spans[w + 1].joined || !PyAnySet_Check(nexts) || PySet_GET_SIZE(nexts) == 0)
            continue;
        int follows = PySet_Contains(nexts, PyList_GET_ITEM(words, w + 1));
        if (follows < 0)
            goto done;
        if (!follows)
            continue;
        /* The key as scan.py builds it: the words joined by single spaces (a hyphen in the text reads as a space). */
        PyObject *key = PyUnicode_FromFormat("%U %U", PyList_GET_ITEM(words, w), PyList_GET_ITEM(words, w + 1));
        if (key == NULL)
            goto done;
        Py_ssize_t j = w + 1;
        for (;;) {
            if (record_key(table, key, found, spans[w].start, spans[j].end) < 0) {
                Py_DECREF(key);
                goto done;
            }
            int more = PySet_Contains(prefixes, key);
            if (more < 0) {
                Py_DECREF(key);
                goto done;
            }
            if (!more || j + 1 >= n || !spans[j + 1].joined)
                break;
            j++;
            PyObject *longer = PyUnicode_FromFormat("%U %U", key, PyList_GET_ITEM(words, j));
            Py_DECREF(key);
            if (longer == NULL)
                goto done;
            key = longer;
        }
        Py_DECREF(key);
    }

    /* The words close to a long phrase word: what Typos.hits needs, or None. */
    close = PyList_New(0);
    if (close == NULL)
        goto done;
    for (Py_ssize_t w = 0; w < n; w++) {
        int truth = PyObject_IsTrue(PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 2));
        if (truth < 0)
            goto done;
        if (truth) {
            PyObject *index = PyLong_FromSsize_t(w);
            if (index == NULL || PyList_Append(close, index) < 0) {
                Py_XDECREF(index);
                goto done;
            }
            Py_DECREF(index);
        }
    }
    if (PyList_GET_SIZE(close) == 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* ends: where each part of the split text ends (separator, word, separator, ...), as scan.py accumulates them */
    PyObject *ends = PyList_New(2 * n + 1), *typos = PyList_New(n);
    if (ends == NULL || typos == NULL) {
        Py_XDECREF(ends);
        Py_XDECREF(typos);
        goto done;
    }
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *a = PyLong_FromSsize_t(spans[w].start), *b = PyLong_FromSsize_t(spans[w].end);
        if (a == NULL || b == NULL) {
            Py_XDECREF(a);
            Py_XDECREF(b);
            Py_DECREF(ends);
            Py_DECREF(typos);
            goto done;
        }
        PyList_SET_ITEM(ends, 2 * w, a);
        PyList_SET_ITEM(ends, 2 * w + 1, b);
        PyList_SET_ITEM(typos, w, Py_NewRef(PyTuple_GET_ITEM(PyList_GET_ITEM(infos, w), 2)));
    }
    PyObject *total = PyLong_FromSsize_t(length);
    if (total == NULL) {
        Py_DECREF(ends);
        Py_DECREF(typos);
        goto done;
    }
    PyList_SET_ITEM(ends, 2 * n, total);
    result = Py_BuildValue("(ONON)", words, typos, close, ends);

done:
    PyMem_Free(spans);
    Py_XDECREF(words);
    Py_XDECREF(infos);
    Py_XDECREF(close);
    return result;
}

/* plain_hits(found, simple, field, out) -> list of the other slots found
 *
 * PlainLists.find's loop over one field's found slots (plain.py, where the Python twin is): for each slot of
 * `simple` (slot -> (phrase as written, indexes of the lists holding it)) append (phrase, field, first occurrence,
 * indexes) to `out`; the other slots are returned, in the order found, for the general loop.
 */
static PyObject *
plain_hits(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyDict_Check(args[0]) || !PyDict_Check(args[1]) || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "plain_hits(found dict, simple dict, field, out list)");
        return NULL;
    }
    PyObject *found = args[0], *simple = args[1], *field = args[2], *out = args[3];
    PyObject *others = PyList_New(0);
    if (others == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *slot, *occurrences;
    while (PyDict_Next(found, &pos, &slot, &occurrences)) {
        PyObject *entry = PyDict_GetItemWithError(simple, slot);
        if (entry == NULL) {
            if (PyErr_Occurred() || PyList_Append(others, slot) < 0)
                goto failed;
            continue;
        }
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2 || !PyList_Check(occurrences) ||
            PyList_GET_SIZE(occurrences) == 0) {
            PyErr_SetString(PyExc_TypeError, "plain_hits: simple[slot] is (phrase, indexes), found[slot] a list");
            goto failed;
        }
        PyObject *hit = PyTuple_Pack(4, PyTuple_GET_ITEM(entry, 0), field, PyList_GET_ITEM(occurrences, 0),
                                     PyTuple_GET_ITEM(entry, 1));
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

static PyMethodDef methods[] = {
    {"whole_words", (PyCFunction)(void (*)(void))whole_words, METH_FASTCALL,
     "whole_words(text, cache, info, table, prefixes, found): see bot/watch/wordscan.py"},
    {"plain_hits", (PyCFunction)(void (*)(void))plain_hits, METH_FASTCALL,
     "plain_hits(found, simple, field, out): see bot/watch/plain.py"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "bot.watch._speedups", "The matcher's hot loops in C (see bot/watch/speedups.py).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (int c = 0; c < 128; c++)
        ascii_word[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return PyModule_Create(&module);
}
