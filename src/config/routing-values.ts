/** `[routing] table`: a route table id, by number or as ip-rule(8)'s name `main` (254). */
import { int, type Parser } from './values.js';

const RT_TABLE_MAIN = 254;
// 0 is RT_TABLE_UNSPEC; the kernel takes any other 32-bit id.
const tableNumber = int(1, 0xffffffff);

export const routeTable: Parser<number> = (v) => (v.trim() === 'main' ? RT_TABLE_MAIN : tableNumber(v));

/**
 * The priority (`pref`) of the rules `[routing] rule = yes` installs, fixed
 * so that a delete names exactly the rule it added: before `lookup main`
 * (32766) so the VM's table is asked first (a table with no route for the
 * destination falls through to the next rule, main), and before the ones
 * `ip rule add` numbers by itself (32765 and down, as snf-network's hooks
 * added theirs); after any rule an administrator numbers below it.
 */
export const RULE_PRIORITY = 32700;
