/** The seed's fields, as its PowerShell examples send them. */
export const seedFields = (overrides: Record<string, string> = {}): Record<string, string> => ({
  FeedName: 'DefaultNuGet',
  Application: 'ProfitCalc',
  Description: 'Deployed by Custom Release Server',
  Target: 'localhost',
  PackageName: 'Newtonsoft.Json',
  Version: '12.0.3',
  ...overrides,
});
