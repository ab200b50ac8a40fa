// Package galen holds Galen's domain types and service interfaces: models and
// their versions, API keys and roles, audit events, and the Predictor contract
// that task packages implement. It imports no database, HTTP or ML engine;
// implementations live in sqlite/, postgres/, httpapi/ and the task packages.
package galen
