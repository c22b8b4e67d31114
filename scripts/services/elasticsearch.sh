elasticsearch_up(){ :; }; elasticsearch_env(){ :; }; elasticsearch_down(){ :; }
