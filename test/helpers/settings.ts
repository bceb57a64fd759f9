/**
 * Settings for tests: the embedded defaults with some fields replaced.
 * Settings are frozen (src/config/settings.ts), so a test that needs other
 * values builds them here instead of editing defaultSettings()'s result.
 */
import { defaultSettings, withOverrides, type Settings, type SettingsOverrides } from '../../src/config/config.js';

export function settingsWith(overrides: SettingsOverrides, base: Settings = defaultSettings()): Settings {
  return withOverrides(base, overrides);
}
