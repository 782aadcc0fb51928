/* unit.h - common includes for the cmocka unit tests. */
#ifndef SP_UNIT_H
#define SP_UNIT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#endif
