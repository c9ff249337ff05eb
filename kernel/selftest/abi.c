// SPDX-License-Identifier: GPL-2.0
/*
 * The binary interface as v3 consumers compiled it: struct layout, ioctl
 * numbers and constants must never change.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <linux/ummunotify.h>

#include "cases.h"

static void test_register_struct_layout(void)
{
	EXPECT_EQ(sizeof(struct ummunotify_register_ioctl), 32);
	EXPECT_EQ(offsetof(struct ummunotify_register_ioctl, start), 0);
	EXPECT_EQ(offsetof(struct ummunotify_register_ioctl, end), 8);
	EXPECT_EQ(offsetof(struct ummunotify_register_ioctl, user_cookie), 16);
	EXPECT_EQ(offsetof(struct ummunotify_register_ioctl, flags), 24);
	EXPECT_EQ(offsetof(struct ummunotify_register_ioctl, reserved), 28);
	EXPECT_EQ(sizeof(((struct ummunotify_register_ioctl *)0)->flags), 4);
	EXPECT_EQ(sizeof(((struct ummunotify_register_ioctl *)0)->reserved), 4);
}

static void test_event_struct_layout(void)
{
	EXPECT_EQ(sizeof(struct ummunotify_event), 32);
	EXPECT_EQ(offsetof(struct ummunotify_event, type), 0);
	EXPECT_EQ(offsetof(struct ummunotify_event, flags), 4);
	EXPECT_EQ(offsetof(struct ummunotify_event, hint_start), 8);
	EXPECT_EQ(offsetof(struct ummunotify_event, hint_end), 16);
	EXPECT_EQ(offsetof(struct ummunotify_event, user_cookie_counter), 24);
	EXPECT_EQ(sizeof(((struct ummunotify_event *)0)->type), 4);
	EXPECT_EQ(sizeof(((struct ummunotify_event *)0)->flags), 4);
}

static void test_ioctl_numbers(void)
{
	EXPECT_EQ(UMMUNOTIFY_MAGIC, 'U');
	EXPECT_EQ(UMMUNOTIFY_EXCHANGE_FEATURES, 0xc0045501);
	EXPECT_EQ(UMMUNOTIFY_REGISTER_REGION, 0x40205502);
	EXPECT_EQ(UMMUNOTIFY_UNREGISTER_REGION, 0x40085503);
	EXPECT_EQ(UMMUNOTIFY_GET_COUNTER_FD, 0x5504);
}

static void test_constants(void)
{
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, 0);
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, 1);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, 1);
	EXPECT_EQ(UMMUNOTIFY_FEATURE_TARGET_EXIT, 1);
	EXPECT_EQ(UMMUNOTIFY_FEATURE_COUNTER_FD, 2);
}

DEFINE_CASES(abi,
	CASE(test_register_struct_layout,
	     "abi: struct ummunotify_register_ioctl is 32 bytes, v3 offsets"),
	CASE(test_event_struct_layout,
	     "abi: struct ummunotify_event is 32 bytes, v3 offsets"),
	CASE(test_ioctl_numbers,
	     "abi: ioctl numbers (0xc0045501, 0x40205502, 0x40085503, 0x5504)"),
	CASE(test_constants, "abi: event types, flags and feature bits"),
);
