/** `[routing] table`: a route table id, by number or as ip-rule(8)'s name `main` (254). */
import { int, type Parser } from './values.js';

const RT_TABLE_MAIN = 254;
// 0 is RT_TABLE_UNSPEC; the kernel takes any other 32-bit id.
const tableNumber = int(1, 0xffffffff);

export const routeTable: Parser<number> = (v) => (v.trim() === 'main' ? RT_TABLE_MAIN : tableNumber(v));
