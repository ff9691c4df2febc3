#ifndef LEDGERLIFT_CLIBXML2_SHIM_H
#define LEDGERLIFT_CLIBXML2_SHIM_H
/* Debian builds libxml2 with ICU, and encoding.h then includes the system's <unicode/ucnv.h>,
   whose types clash with the ICU that Foundation bundles. We never touch the ICU fields of
   xmlCharEncodingHandler (only pointers to it), so the ICU part of the headers is left out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <string.h>

/// The first error libxml2 reports for one reader.
typedef struct {
    int captured;
    int line;
    int column;
    int code;
    char message[400];
} ll_xml_error;

#if LIBXML_VERSION >= 21200
static inline void ll_xml_error_handler(void *context, const xmlError *error) {
#else
static inline void ll_xml_error_handler(void *context, xmlErrorPtr error) {
#endif
    ll_xml_error *out = (ll_xml_error *)context;
    if (out == NULL || error == NULL || out->captured || error->level < XML_ERR_ERROR) return;
    out->captured = 1;
    out->line = error->line;
    out->column = error->int2;
    out->code = error->code;
    const char *message = error->message ? error->message : "unknown XML error";
    strncpy(out->message, message, sizeof(out->message) - 1);
    out->message[sizeof(out->message) - 1] = 0;
    size_t n = strlen(out->message);
    while (n > 0 && (out->message[n - 1] == '\n' || out->message[n - 1] == ' ')) out->message[--n] = 0;
}

static inline void ll_xml_capture_errors(xmlTextReaderPtr reader, ll_xml_error *out) {
    xmlTextReaderSetStructuredErrorHandler(reader, ll_xml_error_handler, out);
}

static inline xmlParserInputPtr ll_xml_refuse_entity(const char *url, const char *id, xmlParserCtxtPtr context) {
    (void)url; (void)id; (void)context;
    return NULL;
}

/// Never load anything from outside the document: no external entities, no DTDs, no network.
static inline void ll_xml_harden(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(ll_xml_refuse_entity);
}
#endif
