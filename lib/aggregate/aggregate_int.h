/*
 * aggregate_int.h - the aggregate's internals that the library's other modules and the tests
 * use but the public API does not offer.
 */
#ifndef DS_AGGREGATE_INT_H
#define DS_AGGREGATE_INT_H

#include <stddef.h>

#include "darkscan/aggregate.h"

/*
 * ds_aggregate_set_buffer - how many new keys a window buffers before it sorts them into a
 * run (max_keys) and how many all windows together buffer before every buffer is sorted
 * (budget_keys); both at least 1. The defaults suit large inputs; the tests make them tiny so
 * that small inputs go through every path.
 */
void ds_aggregate_set_buffer(ds_aggregate *agg, size_t max_keys, size_t budget_keys);

#endif
