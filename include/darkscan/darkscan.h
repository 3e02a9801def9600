/*
 * darkscan.h - the whole public API of libdarkscan.
 *
 * darkscan finds the address blocks that scan the whole Internet on many ports, window after
 * window, from what a darknet (network telescope) captured. The method follows Nakagawa et al.,
 * "An Investigation of Constant Internet-Wide Scanning through Analysis of Darknet Traffic"
 * (NICT / Yokohama National University, 2019). See docs/ARCHITECTURE.md for the data path.
 */
#ifndef DARKSCAN_DARKSCAN_H
#define DARKSCAN_DARKSCAN_H

#include "darkscan/error.h"
#include "darkscan/version.h"
#include "darkscan/packet.h"
#include "darkscan/capture.h"
#include "darkscan/darknet.h"
#include "darkscan/window.h"
#include "darkscan/aggregate.h"
#include "darkscan/detect.h"
#include "darkscan/output.h"
#include "darkscan/read.h"
#include "darkscan/appscan.h"
#include "darkscan/json.h"
#include "darkscan/json_parse.h"
#include "darkscan/honeypot.h"
#include "darkscan/enrich.h"
#include "darkscan/report.h"
#include "darkscan/state.h"
#include "darkscan/live.h"
#include "darkscan/simulate.h"

#endif
